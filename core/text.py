"""Characters that make text show as something other than what it is: refused in names and addresses.

Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder what follows them
on screen ("Trojan Source"): a name with U+202E shows its end backwards in the admin, in mails and in the
shop's ledger. Zero-width characters (U+200B-U+200D, the word joiner U+2060, U+FEFF) are invisible: two
names that look the same differ, and a search for what one sees finds nothing. A person never needs them
in a name or a street address (right-to-left scripts are shown right without any of them).
"""

import unicodedata

INVISIBLE_FORMATTING = frozenset(
    chr(code)
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0x200B, 0x200E), 0x2060, 0xFEFF)
)


def invisible_formatting(value: str) -> str | None:
    """The first such character in `value`, described ("U+202E RIGHT-TO-LEFT OVERRIDE at character 4"),
    or None if there is none."""
    for position, character in enumerate(value, start=1):
        if character in INVISIBLE_FORMATTING:
            return f"U+{ord(character):04X} {unicodedata.name(character)} at character {position}"
    return None

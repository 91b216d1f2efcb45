"""What a status mail needs to be deliverable, and what the mail server's refusals mean.

- An address with a non-ASCII domain goes out with the domain IDNA-encoded (`kunde@xn--bcher-kva.example`);
  `email.utils.formataddr` alone raises UnicodeEncodeError on it. The part before the @ must be ASCII (the
  form refuses anything else: without SMTPUTF8 no server can take it).
- A name is one line in the header: the form refuses line breaks and control characters; a name stored
  before it did is folded onto one line here, so the mail still goes.
- A refusal is for good (a 5xx: the mailbox does not exist) or for now (a 4xx, the server unreachable);
  only the second is worth another try.
"""

import smtplib
import socket
import unicodedata
from dataclasses import dataclass
from email.utils import formataddr

from django.core.mail import BadHeaderError

# Unicode categories that have no place in a header: control characters (Cc: \n, \r, \t, \x07...) and the
# line and paragraph separators (Zl, Zp).
_FORBIDDEN_IN_A_LINE = {"Cc", "Zl", "Zp"}


def has_line_break_or_control(value: str) -> bool:
    return any(unicodedata.category(character) in _FORBIDDEN_IN_A_LINE for character in value)


def one_line(value: str) -> str:
    return " ".join("".join(" " if unicodedata.category(c) in _FORBIDDEN_IN_A_LINE else c for c in value).split())


def ascii_address(address: str) -> str:
    """The address with its domain IDNA-encoded; UnicodeError if that cannot be done."""
    local, _, domain = address.rpartition("@")
    local.encode("ascii")  # UnicodeEncodeError: no server without SMTPUTF8 takes a non-ASCII local part
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def recipient(name: str, address: str) -> str:
    """`"Name" <address>` for the To header: the name on one line and quoted, the address in ASCII."""
    # formataddr quotes what needs quoting ("Smith, John"), which an f-string would not.
    return formataddr((one_line(name), ascii_address(address)))


@dataclass(frozen=True)
class Refusal:
    """Why a mail did not go, and whether another try can help."""

    for_good: bool
    detail: str


def classify(error: Exception) -> Refusal | None:
    """A Refusal for the errors a mail server or the address itself causes; None for anything else (a bug)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        replies = "; ".join(f"{code} {_text(reply)}" for code, reply in error.recipients.values())
        return Refusal(for_good=all(code >= 500 for code in codes), detail=f"the mail server refused the address: {replies}")
    if isinstance(error, smtplib.SMTPResponseException):
        return Refusal(for_good=error.smtp_code >= 500, detail=f"the mail server answered {error.smtp_code} {_text(error.smtp_error)}")
    if isinstance(error, (BadHeaderError, UnicodeError)):
        return Refusal(for_good=True, detail=f"the address or name cannot be put in a mail: {error}")
    if isinstance(error, (smtplib.SMTPException, socket.timeout, ConnectionError, OSError)):
        return Refusal(for_good=False, detail=f"the mail server could not be reached: {error.__class__.__name__}: {error}")
    return None



def _text(reply) -> str:
    return (reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply))[:200]

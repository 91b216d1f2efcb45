"""The docs' commands work as written: a manage.py or `python -m` line names the venv's Python (a bare
`python` has no Django unless the reader activated the venv), and `make demo` takes the ports the docs say."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BARE_PYTHON = re.compile(r"(?<![/\w.])python3? (manage\.py|-m )")


def test_every_documented_command_uses_the_venvs_python():
    bare = [
        f"{doc.relative_to(ROOT)}:{number}: {line.strip()}"
        for doc in DOCS
        for number, line in enumerate(doc.read_text().splitlines(), 1)
        if BARE_PYTHON.search(line)
    ]
    assert bare == [], "commands that fail as written (use .venv/bin/python or make manage):\n" + "\n".join(bare)


def test_the_readme_says_how_to_move_the_demos_ports():
    readme = (ROOT / "README.md").read_text()
    assert "make demo PORT=8300 SHOP_PORT=8301" in readme
    assert 'make manage ARGS="storemode sync"' in readme


# A path into the repo, in backticks: `tests/…`, `core/queue.py`, `docs/ARCHITECTURE.md`, `tests/x.py::test_y`.
NAMED_PATH = re.compile(r"`((?:" + "|".join(
    sorted(p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "var")
) + r")/[\w./-]*)(?:::[\w\[\]-]+)?`")


def test_every_path_the_docs_name_exists():
    """A file or folder that moved (tests/edges/ became tests/cancellation_and_failures/) leaves the docs
    pointing at nothing; a reader finds out only by looking."""
    missing = [
        f"{doc.relative_to(ROOT)}:{number}: {path}"
        for doc in DOCS
        for number, line in enumerate(doc.read_text().splitlines(), 1)
        for path in NAMED_PATH.findall(line)
        if not (ROOT / path).exists()
    ]
    assert missing == [], "paths the docs name that are not in the repo:\n" + "\n".join(missing)

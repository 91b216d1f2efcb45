"""Where tests/support/slow_to_import.py says a worker is importing it, and for how long: apart, so that the
test can read them without importing that module (its import sleeps)."""

from pathlib import Path

IMPORT_S = 3
TAKING = Path(__file__).resolve().parents[2] / "var" / "test" / "slow-import-taking"

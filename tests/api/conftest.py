"""The count of schemathesis' cases, shown at the end of the run (see test_schemathesis.py)."""

from collections import Counter

import pytest

SCHEMATHESIS_CASES = pytest.StashKey[Counter]()


@pytest.fixture
def schemathesis_cases(request) -> Counter:
    """Counts (operation, status code) of every case schemathesis ran."""
    return request.config.stash.setdefault(SCHEMATHESIS_CASES, Counter())


def pytest_terminal_summary(terminalreporter, config):
    cases = config.stash.get(SCHEMATHESIS_CASES, None)
    if not cases:
        return
    terminalreporter.write_sep("-", f"schemathesis: {sum(cases.values())} cases")
    operations = sorted({operation for operation, _ in cases})
    for operation in operations:
        statuses = ", ".join(f"{status}: {n}" for (op, status), n in sorted(cases.items()) if op == operation)
        terminalreporter.write_line(f"{operation}: {statuses}")

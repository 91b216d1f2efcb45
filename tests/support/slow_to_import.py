"""A task whose module takes IMPORT_S to import (tests/integration/test_process_deaths.py).

django-q2's worker imports a task's function, named by a string, after it took the task from the queue and
before it marks itself busy: while this module loads, the task is in the worker's hands alone and the
worker's timer still reads "idle". The module touches TAKING as that moment starts. Only the cluster's
workers import it: the test names the function by a string, and reads TAKING from slow_import_marker.
"""

import time
from pathlib import Path

from .slow_import_marker import IMPORT_S, TAKING

TAKING.touch()
time.sleep(IMPORT_S)


def record(path: str) -> None:
    Path(path).write_text("done")

"""How many calls to POST /orders this shop process is handling right now, for GET /stats.

A live count, not a history: it lives in the process (the shop is one runshop process whose threads serve the
calls), and a reset leaves it alone, since a call under way is still under way until it answers. It lets a
watcher (a test, a trainer) see that a slow call has reached the shop instead of guessing how long that takes.
"""

import threading
from contextlib import contextmanager


class CallsInProgress:
    """A count that request threads raise while they handle a call and lower when they answer."""

    def __init__(self):
        self._lock = threading.Lock()
        self._count = 0

    @contextmanager
    def one_more(self):
        """Count the calling thread's call until the block ends, however it ends."""
        with self._lock:
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1

    @property
    def count(self) -> int:
        with self._lock:
            return self._count


calls_in_progress = CallsInProgress()

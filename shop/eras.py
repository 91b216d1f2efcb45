"""The resets of this shop process, counted, so that work begun before a reset never acts after it.

A call or a callback that began before a reset must not act after it: it would change the emptied ledger
(where the next scenario or test finds it), take a draw from the restarted, seeded sequence, or call a
webhook about an order the shop no longer has.
"""

import threading
from contextlib import contextmanager

from django.db import connections, transaction

from .models import ShopSettings
from .routers import SHOP_DB


class ResetDuringCall(Exception):
    """The shop was reset while the work was under way: it must not act in the new era."""


class Eras:
    """Counts the resets of this shop process; work notes the era it began in and checks it before acting."""

    def __init__(self):
        self._changed = threading.Condition()
        self.current = 0

    def begin_new(self) -> None:
        with self._changed:
            self.current += 1
            self._changed.notify_all()

    def wait(self, era: int, seconds: float) -> bool:
        """Sleep `seconds`, or less if a reset ends `era` first; whether `era` is still the current one."""
        with self._changed:
            return not self._changed.wait_for(lambda: self.current != era, timeout=seconds)


eras = Eras()


@contextmanager
def transaction_in(era: int):
    """A transaction on the shop's database that runs only if no reset has happened since `era` began.

    Raises ResetDuringCall otherwise. Locking the settings row orders this transaction against a reset's,
    which locks it first. SQLite needs no lock (and has no SELECT ... FOR UPDATE): its write transactions
    never overlap, and each takes the database's write lock at BEGIN (IMMEDIATE, asyncpizza.settings.database),
    so the era is read after any reset under way has committed.
    """
    with transaction.atomic(using=SHOP_DB):
        if connections[SHOP_DB].features.has_select_for_update:
            ShopSettings.objects.select_for_update().get(pk=1)
        if eras.current != era:
            raise ResetDuringCall
        yield

"""The project's django-q2 broker code: one broker per process for the code that enqueues (Redis), and the ORM
broker woken at commit (`WakingORM`, Q_CLUSTER['broker_class'] without Redis).

`async_task` without `broker=` builds a new broker each call; django-q2's Redis broker then opens a new Redis
client, so every order placed cost a new TCP connection to Redis (measured: 1.00 per enqueue; bench/pickup.py
prints the figure). A broker kept per process reuses its client's connection pool (thread-safe, and redis-py
resets it in a forked child). The ORM broker is left to django-q2: it holds the thread's database connection,
which must not be shared between threads.
"""

import time
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.conf import Conf

from . import wakeup


def enqueue_broker() -> Broker | None:
    """The broker to pass to async_task: a shared one with Redis, None (django-q2's default) otherwise."""
    if not settings.REDIS_URL:
        return None
    return _redis_broker(settings.REDIS_URL)


@lru_cache(maxsize=1)
def _redis_broker(redis_url: str) -> Broker:
    # Keyed on the URL so that a changed setting (tests) gets a broker of its own.
    return get_broker()


class WakingORM(ORM):
    """django-q2's ORM broker (the queue is a table in the app's database, so a job commits with the order
    that needs it), woken when a job commits instead of finding it only at its next poll (core/wakeup.py).

    `enqueue` inserts the job's row and announces it in the same transaction: a wake-up that can only arrive
    after the commit. `dequeue` (called in a loop by django-q2's pusher) queries the queue again at once after
    it found a job, and otherwise waits for a wake-up, at most `poll` seconds: the poll stays, so a lost
    wake-up costs one poll, never the job. It waits in slices of at most WAIT_SLICE_S and returns None between
    them without a query, so the pusher, which checks its stop event after each `dequeue`, stops as soon.
    """

    WAIT_SLICE_S = 0.5
    # Class defaults, not set in __init__: django-q2 unpickles a broker (spawn start method) without calling it.
    _waiter = None  # made at the first dequeue, in the pusher's process
    _next_query = 0.0  # time.monotonic() of the next query without a wake-up

    def enqueue(self, task):
        pk = super().enqueue(task)
        wakeup.announce(wakeup.queue_topic(self.list_key), Conf.ORM, pk)
        return pk

    def dequeue(self):
        if self._waiter is None:
            self._waiter = wakeup.Waiter(wakeup.queue_topic(self.list_key), Conf.ORM)
        remaining = self._next_query - time.monotonic()
        if remaining > 0 and not self._waiter.wait(min(remaining, self.WAIT_SLICE_S)) and remaining > self.WAIT_SLICE_S:
            return None  # neither a wake-up nor the poll yet
        self._waiter.drain()  # before the query: a job committed after it wakes the next wait
        seen, claimed = self._claim()
        self._next_query = time.monotonic() + (0 if seen else Conf.POLL)
        return claimed or None

    def _claim(self) -> tuple[bool, list]:
        # ORM.dequeue without its sleep: take up to `bulk` due rows, each by a conditional update of its lock
        # (another cluster may take a row first). Returns whether any row was due, and the rows taken.
        rows = list(self.get_connection().filter(key=self.list_key, lock__lt=timezone.now())[0:Conf.BULK])
        claimed = [
            (row.pk, row.payload)
            for row in rows
            if self.get_connection().filter(id=row.id, lock=row.lock).update(lock=self.timeout(row))
        ]
        return bool(rows), claimed

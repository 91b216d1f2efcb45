"""One django-q2 broker per process for the code that enqueues.

`async_task` without `broker=` builds a new broker each call; django-q2's Redis broker then opens a new Redis
client, so every order placed cost a new TCP connection to Redis (measured: 1.00 per enqueue; bench/pickup.py
prints the figure). A broker kept per process reuses its client's connection pool (thread-safe, and redis-py
resets it in a forked child). The ORM broker is left to django-q2: it holds the thread's database connection,
which must not be shared between threads.
"""

from functools import lru_cache

from django.conf import settings
from django_q.brokers import Broker, get_broker


def enqueue_broker() -> Broker | None:
    """The broker to pass to async_task: a shared one with Redis, None (django-q2's default) otherwise."""
    if not settings.REDIS_URL:
        return None
    return _redis_broker(settings.REDIS_URL)


@lru_cache(maxsize=1)
def _redis_broker(redis_url: str) -> Broker:
    # Keyed on the URL so that a changed setting (tests) gets a broker of its own.
    return get_broker()

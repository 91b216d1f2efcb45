"""A limit on anonymous order creation per client address: ORDER_RATE_LIMIT ("60/m") orders per window.

A fixed-window counter every process shares, exact under concurrency on every setup: 100 requests at once
from one address against 60/m place 60 orders, never more (bench/rate_limit.py measures it).

- With Redis as the cache (REDIS_URL), the count is Redis's INCR, atomic on the server.
- Otherwise (the demo's database cache, any setup without Redis) the cache cannot count: Django's
  DatabaseCache.incr is a read then a write, and concurrent requests read the same value (measured: 100 of
  100 let through). The count is then one row of core.models.RateCount, counted by a single
  `INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count`, which the database runs
  atomically (SQLite >= 3.35, PostgreSQL).

django-ratelimit, the library made for this, counts in the cache and refuses the database cache for this very
reason, so it would not hold on the demo's setup; this module is the small piece it would have replaced.
Only the order form and POST /api/orders count: the trainer's batch places its orders in-process through
orders.services and is never limited.
"""

import hashlib
import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from django.http import HttpRequest

from core.client_address import client_address

from .models import RateCount

logger = logging.getLogger(__name__)


class RateLimited(Exception):
    """Too many orders from this address in the current window; `retry_after_s` until the next one."""

    def __init__(self, *, limit: int, period_s: int, retry_after_s: int):
        super().__init__(limit, period_s, retry_after_s)
        self.limit, self.period_s, self.retry_after_s = limit, period_s, retry_after_s

    def __str__(self) -> str:
        return (f"Too many orders from your address: at most {self.limit} every {_period(self.period_s)}. "
                f"Try again in {self.retry_after_s} s.")


def count_order_request(request: HttpRequest, *, now: float | None = None) -> None:
    """Count one order request from the client's address; raise RateLimited once it is over the limit."""
    rate = settings.ORDER_RATE_LIMIT
    if rate is None:
        return
    limit, period_s = rate
    now = time.time() if now is None else now
    window = int(now // period_s)
    address = hashlib.sha256(_client_key(client_address(request)).encode()).hexdigest()[:32]
    key = f"order-rate:{period_s}:{window}:{address}"
    try:
        count = _count(key, window_ends=(window + 1) * period_s, now=now)
    except Exception:  # noqa: BLE001 - a broken cache must not stop customers ordering
        logger.exception("the order rate limit could not count; letting the order through")
        return
    if count > limit:
        raise RateLimited(limit=limit, period_s=period_s, retry_after_s=max(1, math.ceil((window + 1) * period_s - now)))


def _count(key: str, *, window_ends: float, now: float) -> int:
    """One more request in the window, counted atomically: in Redis when the cache is Redis, else in the
    database."""
    if isinstance(cache, RedisCache):
        return _count_in_redis(key, timeout=math.ceil(window_ends - now) + 1)
    return _count_in_database(key, window_ends=window_ends, now=now)


def _count_in_redis(key: str, *, timeout: int) -> int:
    """INCR, which Redis runs atomically; only the window's first request also adds the key (with its expiry)."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request (or the counter expired)
        pass
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)  # a concurrent request started the window a moment ago
    except ValueError:  # and it has expired already: this request starts the window again
        cache.set(key, 1, timeout=timeout)
        return 1


def _count_in_database(key: str, *, window_ends: float, now: float) -> int:
    """One statement the database runs atomically: insert the window's row at 1, or add 1 to it."""
    connection = connections[router.db_for_write(RateCount)]
    table = connection.ops.quote_name(RateCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (bucket) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [key, window_ends],
        )
        count = cursor.fetchone()[0]
    if count == 1:  # a new window for this client: a moment to forget the windows that have ended
        RateCount.objects.using(connection.alias).filter(expires_at__lt=now).delete()
    return count


def _client_key(address: str) -> str:
    """The address, or for IPv6 its /64: one host usually holds a whole /64 and could rotate through it."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _period(seconds: int) -> str:
    return {1: "second", 60: "minute", 3600: "hour", 86400: "day"}.get(seconds, f"{seconds} s")

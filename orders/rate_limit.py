"""A limit on anonymous order creation per client address: ORDER_RATE_LIMIT ("60/m") orders per window.

A fixed-window counter in Django's cache, which every process shares (Redis with REDIS_URL, else a table in
the app's database). Only the order form and POST /api/orders count: the trainer's batch places its orders
in-process through orders.services and is never limited. django-ratelimit was the library to use, but it
refuses the database cache (its increment is not atomic); here that means that a burst of concurrent
requests may slip a few past the limit before the count catches up, which is acceptable for a limit meant
to stop floods, not to count exactly. With Redis the increment is atomic.
"""

import hashlib
import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from core.client_address import client_address

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
        count = _count(key, timeout=period_s + 1)
    except Exception:  # noqa: BLE001 - a broken cache must not stop customers ordering
        logger.exception("the order rate limit could not count; letting the order through")
        return
    if count > limit:
        raise RateLimited(limit=limit, period_s=period_s, retry_after_s=max(1, math.ceil((window + 1) * period_s - now)))


def _count(key: str, *, timeout: int) -> int:
    """One more request in the window: an increment, and only for the window's first request an add. (The
    database cache's add of a key it has is a failed INSERT in a write transaction of its own; with Redis,
    one round trip fewer.)"""
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

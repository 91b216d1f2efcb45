"""The order rate limit holds under real concurrency, on the database cache (the demo's setup) as on Redis:
100 customers at once from one address against 60/m, half through the form and half through the API, over
HTTP against the production profile's web processes (gunicorn, 2 processes of 8 threads). 60 are placed;
each of the others gets a 429 with Retry-After (the form's friendly page, the API's JSON)."""

import os

import pytest
import redis

from bench.rate_limit import burst, limited_stack, wait_for_room_in_the_window

from ..support.redis_db import scale_out_redis

pytestmark = pytest.mark.cluster

REDIS = scale_out_redis()


def redis_or_skip():
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide Redis (.ci/run starts it): {error}")
        pytest.skip(f"Redis is not running here: {error}")


@pytest.fixture(params=["database cache", "redis"])
def redis_url(request):
    if request.param == "database cache":
        yield ""
        return
    redis_or_skip()
    client = redis.Redis.from_url(REDIS)
    client.flushdb()
    yield REDIS
    client.flushdb()


@pytest.mark.slow
def test_a_hundred_orders_at_once_from_one_address_place_sixty(redis_url):
    with limited_stack(f"rate-limit-test-{'redis' if redis_url else 'db'}", redis_url=redis_url) as stack:
        wait_for_room_in_the_window(60)
        figures = burst(stack.web_url, 100, address="198.51.100.60")
    assert (figures.accepted, figures.limited, dict(figures.other)) == (60, 40, {})
    assert figures.limited_without_retry_after == 0
    assert figures.limited_wrong_shape == []  # the form's 429 is its friendly page, the API's is JSON

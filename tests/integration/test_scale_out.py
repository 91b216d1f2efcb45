"""The scale-out setup: PostgreSQL for the app, Redis as django-q2's broker, two worker clusters sharing
one queue, web and shop as separate processes, orders placed over HTTP through the real form.

What must hold there too: every order ends confirmed, each exactly once at the shop, although the shop
fails and loses answers and two clusters (each with its own scheduler) compete for the same jobs.
"""

import os

import psycopg
import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.stack import Stack
from trainer.simulation import FormCustomer, made_up_customer

from ..support.postgres import scratch_database
from ..support.redis_db import scale_out_redis
from ..support.waiting import wait_until

pytestmark = pytest.mark.cluster

POSTGRES = os.environ.get("SCALE_OUT_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = scale_out_redis()


def services_or_skip():
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except (psycopg.Error, redis.RedisError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide PostgreSQL and Redis (.ci/run starts them): {error}")
        pytest.skip(f"PostgreSQL or Redis is not running here: {error}")


@pytest.fixture
def postgres_database():
    with scratch_database(POSTGRES, "asyncpizza_scaleout") as url:
        yield url


@pytest.fixture
def redis_broker():
    client = redis.Redis.from_url(REDIS)
    client.flushdb()
    yield REDIS
    client.flushdb()


@pytest.mark.slow
def test_two_clusters_on_postgres_and_redis_place_every_order_exactly_once(postgres_database, redis_broker):
    services_or_skip()
    orders = 30
    with Stack(
        "scale-out",
        clusters=2,
        DATABASE_URL=postgres_database,
        REDIS_URL=redis_broker,
        STORE_ORDER_MAX_ATTEMPTS=10,
        STORE_ORDER_BACKOFF_S=0.2,
        STORE_ORDER_BACKOFF_CAP_S=2,
        SHOP_TIMEOUT_S=3,
        Q_SCHEDULER_TICK_S=0.2,
        METRICS_TOKEN="scale-out-metrics-token",
    ) as stack:
        # 28 % of calls fail or lose their answer: 10 attempts leave about 3 in a million orders failed.
        stack.configure_shop(failure_rate=0.2, lost_response_rate=0.1, seed=11)
        customer = FormCustomer(stack.web_url)
        submissions = [customer.submit(made_up_customer(n)) for n in range(orders)]
        assert all(s.accepted for s in submissions)
        locations = [s.location for s in submissions]


        def statuses_once_all_final():
            statuses = {location: customer.status(location) for location in locations}
            return statuses if all(status in {"confirmed", "failed"} for status in statuses.values()) else None

        # Each look reads every order's page: once a second is often enough.
        statuses = wait_until(statuses_once_all_final, timeout=180, interval=1, message=f"all {orders} orders final")
        ledger = stack.shop_ledger()
        stats = stack.shop_stats()
        # The console sees both clusters through the shared cache (Redis here) and the Redis queue.
        metrics = requests.get(f"{stack.web_url}/metrics", headers={"Authorization": "Bearer scale-out-metrics-token"},
                               timeout=10)
        figures = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(metrics.text)
            for sample in family.samples
        }

    assert list(statuses.values()) == ["confirmed"] * orders
    assert len(ledger) == orders  # one shop order per customer order: none lost, none twice
    assert stats["duplicate_references"] == 0
    assert stats["failed_injected"] > 0 and stats["lost_response"] > 0  # the faults really happened
    assert figures[("asyncpizza_clusters_alive", ())] == 2
    assert figures[("asyncpizza_workers_alive", ())] == 2 * 2  # Q_WORKERS each
    assert figures[("asyncpizza_orders", (("status", "confirmed"),))] == orders
    assert figures[("asyncpizza_time_to_final_seconds_count", (("status", "confirmed"),))] == orders

"""The queue probe on the production setup: PostgreSQL for the app, Redis as django-q2's broker and as the
shared cache, the web as its own process. /metrics reads the probe's age through Redis; with the cluster's
processes frozen but its sentinel still saving heartbeats, it grows and the console says stuck; thawed,
the probe comes back. Needs PostgreSQL and Redis (SCALE_OUT_POSTGRES, SCALE_OUT_REDIS: use your own DB index)."""

import re
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.stack import Stack

from ..support.cluster import frozen
from ..support.waiting import wait_until
from .test_scale_out import postgres_database, redis_broker, services_or_skip  # noqa: F401 (fixtures)

pytestmark = pytest.mark.cluster

TOKEN = "probe-metrics-token"


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def frozen_below_the_sentinel(qcluster_pid: int):
    """The sentinel's children (workers, monitor, pusher) frozen: the sentinel still saves a heartbeat that
    lists the workers alive."""
    [sentinel] = children(qcluster_pid)
    return frozen(children(sentinel))


def figures(stack) -> dict:
    response = requests.get(f"{stack.web_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    response.raise_for_status()
    return {sample.name: sample.value for family in text_string_to_metric_families(response.text)
            for sample in family.samples if not sample.labels}


@pytest.mark.slow
def test_on_postgres_and_redis_the_probe_comes_back_and_a_frozen_cluster_reads_stuck(postgres_database, redis_broker):
    services_or_skip()
    stale_s = 6
    probe_interval_s = 1
    with Stack("queue-probe", DATABASE_URL=postgres_database, REDIS_URL=redis_broker, METRICS_TOKEN=TOKEN,
               QUEUE_PROBE_STALE_S=stale_s, QUEUE_PROBE_INTERVAL_S=probe_interval_s) as stack:
        healthy = wait_until(lambda: (f := figures(stack)).get("asyncpizza_queue_probe_round_trip_seconds", 0) > 0
                             and f["asyncpizza_queue_probe_age_seconds"] < 3 and f, timeout=60,
                             message="a probe back through Redis")
        workers = healthy["asyncpizza_workers_alive"]
        assert workers > 0
        [qcluster] = stack.cluster_processes
        with frozen_below_the_sentinel(qcluster.pid):
            frozen_at = time.monotonic()
            stuck = wait_until(lambda: (f := figures(stack))["asyncpizza_queue_probe_age_seconds"] > stale_s + 1 and f,
                               timeout=60, message="the probe's age past the stale bound")
            assert stuck["asyncpizza_workers_alive"] == workers  # django-q2 still says they are alive
            # A negative check: over three probe intervals, in each of which a sender that ignored the probe
            # still waiting in the Redis list would send another, none is sent.
            time.sleep(3 * probe_interval_s)
            assert stack_redis_queue_probes(redis_broker) <= 1
            print(f"\nRedis + PostgreSQL: frozen; the probe's age passed {stale_s} s after "
                  f"{time.monotonic() - frozen_at:.1f} s, workers alive still {workers:g}; "
                  f"healthy round trip {healthy['asyncpizza_queue_probe_round_trip_seconds'] * 1000:.0f} ms")
        thawed_at = time.monotonic()
        wait_until(lambda: figures(stack)["asyncpizza_queue_probe_age_seconds"] < 2, timeout=60,
                   message="the probe back once thawed")
        print(f"thawed: a probe back after {time.monotonic() - thawed_at:.1f} s")


def stack_redis_queue_probes(redis_url: str) -> int:
    import redis
    from django_q.signing import SignedPackage

    client = redis.Redis.from_url(redis_url)
    key = next(iter(client.scan_iter("django_q:*:q")), None)
    if key is None:
        return 0
    packages = [SignedPackage.loads(entry) for entry in client.lrange(key, 0, -1)]
    return sum(1 for package in packages if re.search(r"queue_probe_task$", str(package["func"])))

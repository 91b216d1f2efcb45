"""The production setup (PostgreSQL, Redis as broker, DJANGO_DEBUG off), with its real cluster: the scheduler
tick survives the start (no database connection crosses django-q2's fork), and the cluster heals when one
of its processes is killed, with the Redis broker, which never hands a task out twice.
"""

import os
import signal
import time

import psycopg
import pytest

from bench.cluster_processes import ClusterProcesses, cluster_processes
from bench.stack import Stack
from trainer.simulation import FormCustomer, made_up_customer

from ..support.waiting import wait_until
from .test_process_deaths import PROMISE_S
from .test_scale_out import postgres_database, redis_broker, services_or_skip  # noqa: F401 (fixtures)

pytestmark = pytest.mark.cluster


def settled(stack) -> ClusterProcesses | None:
    """The cluster's processes once every worker is back on the task queue, one of them next in line."""
    found = cluster_processes(stack.cluster_processes[0].pid, workers=2)
    return found if found.all_idle() and found.idle_next_in_line_worker() else None


@pytest.mark.slow
def test_on_postgres_and_redis_a_retry_starts_on_time_and_a_killed_process_stops_no_order(
        postgres_database, redis_broker):
    services_or_skip()
    with Stack(
        "production-cluster",
        DATABASE_URL=postgres_database,
        REDIS_URL=redis_broker,
        STORE_ORDER_BACKOFF_S=1,
        STORE_ORDER_BACKOFF_CAP_S=1,
        SHOP_TIMEOUT_S=3,
        Q_WORKERS=2,
        Q_SCHEDULER_TICK_S=0.2,
    ) as stack, psycopg.connect(postgres_database, autocommit=True) as database:
        customer = FormCustomer(stack.web_url)

        def statuses(locations):
            return [customer.status(location) for location in locations]

        # A retry due in 1 s starts within a second of being due (django-q2's own scheduler: up to 30 s).
        stack.configure_shop(down_for_s=1.5)
        first = customer.submit(made_up_customer(0)).location
        wait_until(lambda: statuses([first]) == ["confirmed"], timeout=30, message="the order confirmed after the outage")
        lateness = [row[0] for row in database.execute(
            "SELECT EXTRACT(EPOCH FROM started_at - due_at) FROM workflow_storeattempt WHERE number > 1 ORDER BY id")]
        assert lateness, "the shop was down: there must have been a retry"
        assert max(lateness) < 1.0, f"retries started {lateness} s after they were due"
        log = (stack.var_dir / "qcluster.log").read_text(errors="replace")
        assert "OperationalError" not in log, log[-2000:]

        # Kill the idle worker next in line for the task queue, then the monitor: later orders go on.
        for n, kind in enumerate(["idle next-in-line worker", "monitor"], start=1):
            found = wait_until(lambda: settled(stack), timeout=30, message="every worker back on the task queue")
            target = found.idle_next_in_line_worker() if "worker" in kind else found.monitor
            assert target, f"no {kind} in {found}"
            os.kill(target, signal.SIGKILL)
            killed_at = time.monotonic()
            locations = [customer.submit(made_up_customer(10 * n + i)).location for i in range(3)]
            wait_until(lambda: statuses(locations) == ["confirmed"] * 3,
                       timeout=max(0.1, killed_at + PROMISE_S - time.monotonic()),
                       message=f"3 orders placed after the {kind} was killed to be confirmed within {PROMISE_S} s")
            print(f"\n{kind} killed (Redis): 3 later orders confirmed {time.monotonic() - killed_at:.1f} s after")
        ledger = stack.shop_ledger()
        assert len(ledger) == 7  # one shop order per customer order
        assert sorted(entry["received"] for entry in ledger)[:6] == [1] * 6  # the later six: one call each
        assert stack.shop_stats()["duplicate_references"] == 0

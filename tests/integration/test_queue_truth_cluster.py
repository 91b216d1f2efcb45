"""With a real cluster: while its workers are frozen (alive by their heartbeat, taking nothing, as django-q2's
workers are when a killed process left the task queue's lock held), the health panel, needs-attention,
/metrics and the process diagram say the queue is stuck; thawed, they say it runs again. Stopped, they say
stopped (tests/integration/test_console_cluster.py)."""

import re
import time

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.models import OrmQ

from console.health import engine_health
from core.queue import task_path
from workflow.queue_probe import queue_probe_task

from ..console.test_metrics import samples
from ..console.test_queue_truth import engine_state
from ..support.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def probes_waiting_in_the_broker() -> int:
    now = timezone.now()
    return sum(1 for row in OrmQ.objects.filter(lock__lte=now) if row.func() == task_path(queue_probe_task))


def attention_count(admin_client, key: str) -> int:
    page = admin_client.get("/admin/needs-attention/").content.decode()
    return int(re.search(rf'data-section="{key}" data-count="(\d+)"', page).group(1))


@pytest.mark.slow
def test_frozen_workers_read_stuck_everywhere_then_running_once_thawed(cluster, admin_client):
    workers = settings.Q_CLUSTER["workers"]
    stale_s = settings.QUEUE_PROBE_STALE_S
    running = wait_until(lambda: (h := engine_health()).state == "running" and h, timeout=45, message="the queue running")
    print(f"\nrunning: the probe's round trip {running.queue.probe.round_trip_s * 1000:.0f} ms "
          f"(ORM broker on SQLite, poll {settings.Q_CLUSTER['poll']} s)")
    page = admin_client.get("/admin/").content.decode()
    assert engine_state(page).startswith("Running: the queue answers")
    found = samples(admin_client.get("/metrics"))
    assert found[("asyncpizza_queue_probe_age_seconds", ())] < stale_s
    assert found[("asyncpizza_workers_alive", ())] == workers
    assert attention_count(admin_client, "queue") == 0
    diagram = admin_client.get("/trainer/diagram/").content.decode()
    assert 'data-queue-state="running"' in diagram and 'data-lane-state="stuck"' not in diagram

    with cluster.workers_frozen() as pids:
        frozen_at = time.monotonic()
        assert len(pids) == workers
        health = wait_until(lambda: (h := engine_health()).state == "stuck" and h, timeout=stale_s + 45,
                            message="the panel to say stuck")
        seen_after_s = time.monotonic() - frozen_at
        # django-q2 still reports every worker alive: the very figure that used to read as "Running".
        assert health.workers_alive == workers
        page = admin_client.get("/admin/").content.decode()
        assert re.match(r"Stuck: the queue has not moved for \d+ s\. ", engine_state(page))
        assert f"PID {cluster.process.pid}" in engine_state(page)
        found = samples(admin_client.get("/metrics"))
        assert found[("asyncpizza_queue_probe_age_seconds", ())] > stale_s
        assert found[("asyncpizza_workers_alive", ())] == workers
        assert attention_count(admin_client, "queue") == 1
        diagram = admin_client.get("/trainer/diagram/").content.decode()
        assert 'data-queue-state="stuck"' in diagram and diagram.count('data-lane-state="stuck"') == workers
        assert "no attempt running" not in diagram
        # However long it stays stuck, one probe at most waits in the broker. A negative check: over two
        # probe intervals, in each of which a sender that ignored the waiting probe would send another.
        time.sleep(2 * settings.QUEUE_PROBE_INTERVAL_S)
        assert probes_waiting_in_the_broker() <= 1
        print(f"frozen {len(pids)} workers: the panel said stuck after {seen_after_s:.1f} s "
              f"(QUEUE_PROBE_STALE_S {stale_s:g}); django-q2 reported {health.workers_alive} alive")

    thawed_at = time.monotonic()
    wait_until(lambda: engine_health().state == "running", timeout=60, message="the queue running again")
    print(f"thawed: running again after {time.monotonic() - thawed_at:.1f} s")
    page = admin_client.get("/admin/").content.decode()
    assert engine_state(page).startswith("Running: the queue answers")
    assert attention_count(admin_client, "queue") == 0

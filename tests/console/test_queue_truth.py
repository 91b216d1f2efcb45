"""The health panel, needs-attention, /metrics and the process diagram judge the queue by the probe that
comes back through it, not by the workers' heartbeats: a cluster whose heartbeat is fresh but whose queue
has not moved reads as stuck everywhere. Here the cluster's status is set as django-q2 would report it;
tests/integration/test_queue_truth_cluster.py does the same with a real, frozen cluster."""

import math
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.utils import timezone
from django_q.models import Success

from console.health import engine_health

from ..support.queue_health import heartbeat, probe_back
from .test_metrics import samples

pytestmark = pytest.mark.django_db

ALERTS = Path(__file__).resolve().parents[2] / "docs" / "monitoring" / "alerts.yml"


def engine_state(page: str) -> str:
    found = re.search(r'<p class="console-state [^"]*" id="engine-state">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_a_probe_that_came_back_reads_running(admin_client, monkeypatch):
    heartbeat(monkeypatch, workers=2)
    probe_back(1.5)
    page = admin_client.get("/admin/").content.decode()
    assert 'data-queue-state="running"' in page
    assert engine_state(page).startswith("Running: the queue answers: a probe task came back through it 2 s ago")
    assert "2 workers alive in 1 cluster" in engine_state(page)


def test_alive_workers_and_a_queue_that_has_not_moved_read_stuck_with_what_to_do(admin_client, monkeypatch, settings):
    settings.QUEUE_PROBE_STALE_S = 15
    heartbeat(monkeypatch, workers=2, pid=31337)
    probe_back(40)
    page = admin_client.get("/admin/").content.decode()
    assert 'data-queue-state="stuck"' in page and 'data-workers-alive="2"' in page
    state = engine_state(page)
    assert state.startswith("Stuck: the queue has not moved for 40 s. 2 workers report alive")
    assert "Restart the worker cluster" in state and "PID 31337" in state
    assert "Running" not in state

    attention = admin_client.get("/admin/needs-attention/").content.decode()
    section = re.search(r'<section[^>]*data-section="queue" data-count="(\d+)".*?</section>', attention, re.S)
    assert section.group(1) == "1"
    assert "cluster testclus" in section.group(0) and "PID 31337" in section.group(0) and "stuck" in section.group(0)
    index = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/needs-attention/#queue">Queue not moving: <strong>1</strong>' in index


def test_a_late_probe_while_tasks_still_finish_reads_behind_not_stuck(admin_client, monkeypatch, settings):
    settings.QUEUE_PROBE_STALE_S = 15
    heartbeat(monkeypatch, workers=2)
    probe_back(30)
    now = timezone.now()
    Success.objects.create(id="t1", name="t1", func="math.floor", started=now - timedelta(seconds=3),
                           stopped=now - timedelta(seconds=2), success=True)
    page = admin_client.get("/admin/").content.decode()
    assert 'data-queue-state="behind"' in page
    assert engine_state(page).startswith("Behind: the probe task has not come back for 30 s, but tasks still finish")
    attention = admin_client.get("/admin/needs-attention/").content.decode()
    assert 'data-section="queue" data-count="0"' in attention


def test_no_heartbeat_reads_stopped_and_needs_attention(admin_client):
    probe_back(120)
    page = admin_client.get("/admin/").content.decode()
    assert 'data-queue-state="stopped"' in page
    assert engine_state(page).startswith("Stopped: no worker is alive")
    assert "the queue has not moved for 120 s" in engine_state(page)
    attention = admin_client.get("/admin/needs-attention/").content.decode()
    assert 'data-section="queue" data-count="1"' in attention and "python manage.py qcluster" in attention


def test_metrics_give_the_probe_age_and_keep_the_heartbeat_count(admin_client, monkeypatch):
    found = samples(admin_client.get("/metrics"))
    assert math.isnan(found[("asyncpizza_queue_probe_age_seconds", ())])  # no probe ever sent: unknown
    heartbeat(monkeypatch, workers=2)
    probe_back(40)
    found = samples(admin_client.get("/metrics"))
    assert 40 <= found[("asyncpizza_queue_probe_age_seconds", ())] < 45
    assert found[("asyncpizza_queue_probe_round_trip_seconds", ())] == pytest.approx(0.3)
    assert found[("asyncpizza_workers_alive", ())] == 2  # what django-q2 reports; the probe says the rest


def test_every_metric_the_alert_rules_use_is_exported(admin_client, monkeypatch):
    heartbeat(monkeypatch)
    probe_back(1)
    exported = {name.removesuffix("_total") for name, _ in samples(admin_client.get("/metrics"))}
    rules = [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]
    used = {name for rule in rules for name in re.findall(r"\basyncpizza_[a-z_]+", rule["expr"])}
    assert "asyncpizza_queue_probe_age_seconds" in used
    assert used - exported == set()
    stuck = [rule for rule in rules if "asyncpizza_queue_probe_age_seconds" in rule["expr"]]
    assert any(rule["labels"]["severity"] == "page" for rule in stuck)


@pytest.mark.parametrize("customer", [False, True])
def test_the_diagram_draws_stuck_workers_as_stuck_not_idle(client, admin_client, menu, monkeypatch, settings, customer):
    from ..factories import make_order

    settings.QUEUE_PROBE_STALE_S = 15
    heartbeat(monkeypatch, workers=settings.Q_CLUSTER["workers"])
    probe_back(40)
    url = f"/orders/{make_order(menu).public_id}/diagram/" if customer else "/trainer/diagram/"
    page = (client if customer else admin_client).get(url).content.decode()
    workers = settings.Q_CLUSTER["workers"]
    assert 'data-queue-state="stuck"' in page
    assert page.count('data-lane-state="stuck"') == workers and "no attempt running" not in page
    assert "Workers: stuck (the queue has not moved for 40 s" in page
    if not customer:
        assert "stuck: alive by its heartbeat, but the queue has not moved for 40 s" in page


def test_the_diagram_draws_a_stopped_cluster_as_stopped(admin_client, settings):
    page = admin_client.get("/trainer/diagram/").content.decode()
    workers = settings.Q_CLUSTER["workers"]
    assert 'data-queue-state="stopped"' in page
    assert page.count('data-lane-state="stopped"') == workers and "no attempt running" not in page
    assert "Workers: none running (the worker cluster is stopped" in page


def test_lanes_beyond_the_workers_alive_are_dead(admin_client, monkeypatch, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 3}
    heartbeat(monkeypatch, workers=2)
    probe_back(1)
    page = admin_client.get("/trainer/diagram/").content.decode()
    assert [int(n) for n in re.findall(r'data-lane="(\d)" data-order="" data-lane-state="idle"', page)] == [1, 2]
    assert 'data-lane="3" data-order="" data-lane-state="dead"' in page


def test_engine_health_names_the_state():
    assert engine_health().state == "stopped"


def test_a_cluster_started_moments_ago_reads_starting_not_stuck(admin_client, monkeypatch, settings):
    settings.QUEUE_PROBE_STALE_S = 15
    stat = heartbeat(monkeypatch, workers=2)
    stat.tob = timezone.now() - timedelta(seconds=3)
    probe_back(600)  # the last probe came back before the cluster was restarted
    page = admin_client.get("/admin/").content.decode()
    assert 'data-queue-state="starting"' in page
    assert engine_state(page).startswith("Starting: 2 workers alive, but no probe task has come back through the "
                                         "queue since the cluster started")
    stat.tob = timezone.now() - timedelta(seconds=20)
    assert 'data-queue-state="stuck"' in admin_client.get("/admin/").content.decode()

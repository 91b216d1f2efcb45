"""The console against a real cluster: the health panel follows it up and down, and /metrics after a run
against an unreliable shop says what the orders table says."""

import pytest
from django.conf import settings
from django.db.models import Count
from prometheus_client.parser import text_string_to_metric_families

from console.health import engine_health
from orders.models import FINAL_STATUSES, Order, OrderStatus
from workflow.models import StoreAttempt

from ..support.waiting import wait_until
from .test_cluster_flow import order_through_the_form, wait_for_final

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def test_the_health_panel_shows_workers_alive_then_none_when_the_cluster_stops(
    cluster_stopped_for_a_while, admin_client
):
    cluster = cluster_stopped_for_a_while
    workers = settings.Q_CLUSTER["workers"]
    health = wait_until(lambda: (h := engine_health()).workers_alive == workers and h.state == "running" and h,
                        timeout=30, message=f"{workers} workers alive and the queue running")
    [running] = [c for c in health.clusters if c.pid == cluster.process.pid]
    assert running.alive and running.workers == workers and running.heartbeat_age_s < 3
    page = admin_client.get("/admin/").content.decode()
    assert "<strong>Running</strong>: the queue answers: a probe task came back through it" in page
    assert f"{workers} workers alive in 1 cluster." in page
    print(f"\nrunning: {health.workers_alive} workers alive, cluster {running.name} state {running.state}, "
          f"heartbeat {running.heartbeat_age_s:.2f} s ago, queue {health.queue_depth}, retries due {health.retries_due}")

    cluster.stop()
    health = wait_until(lambda: (h := engine_health()).workers_alive == 0 and h, timeout=15, message="no worker alive")
    page = admin_client.get("/admin/").content.decode()
    assert "<strong>Stopped</strong>: no worker is alive" in page and 'data-queue-state="stopped"' in page
    assert not any(c.alive for c in health.clusters)
    # Not "idle": the diagram draws every worker stopped, and needs-attention lists the queue.
    diagram = admin_client.get("/trainer/diagram/").content.decode()
    assert diagram.count('data-lane-state="stopped"') == workers and "no attempt running" not in diagram
    assert 'data-section="queue" data-count="1"' in admin_client.get("/admin/needs-attention/").content.decode()
    print(f"stopped: {health.workers_alive} workers alive, clusters listed {[(c.name, c.state) for c in health.clusters]}, "
          f"last task finished {health.last_task_at}")


def test_metrics_after_a_run_against_an_unreliable_shop_match_the_orders_table(cluster, client, shop, smtp, settings):
    settings.METRICS_TOKEN = "metrics-token-for-the-test"
    shop.configure(failure_rate=0.5, seed=1111)
    orders = wait_for_final([order_through_the_form(client, email=f"m{i}@example.com") for i in range(16)], timeout=180)
    wait_until(lambda: len(smtp.messages) >= len(orders), timeout=60, message="every customer mailed")
    wait_until(lambda: engine_health().queue_depth == 0, timeout=30, message="an empty queue")

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-the-test")
    assert response.status_code == 200
    text = response.content.decode()
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    by_status = dict(Order.objects.values_list("status").annotate(n=Count("pk")).order_by())
    for status in OrderStatus:
        assert found[("asyncpizza_orders", (("status", status.value),))] == by_status.get(status.value, 0)
    by_outcome = dict(StoreAttempt.objects.values_list("outcome").annotate(n=Count("pk")).order_by())
    assert by_outcome.get("transient_error", 0) > 0  # the shop did fail
    for outcome, count in by_outcome.items():
        assert found[("asyncpizza_store_attempts_total", (("outcome", outcome),))] == count
    final = Order.objects.filter(status__in=FINAL_STATUSES)
    for status in FINAL_STATUSES:
        durations = [((o.confirmed_at or o.failed_at or o.cancelled_at) - o.created_at).total_seconds()
                     for o in final.filter(status=status)]
        key = (("status", status.value),)
        assert found[("asyncpizza_time_to_final_seconds_count", key)] == len(durations)
        assert found[("asyncpizza_time_to_final_seconds_sum", key)] == pytest.approx(sum(durations), abs=0.01)
    assert found[("asyncpizza_workers_alive", ())] == settings.Q_CLUSTER["workers"]
    assert found[("asyncpizza_queue_depth", ())] == 0 and found[("asyncpizza_mails_pending", ())] == 0
    print("\n" + "\n".join(line for line in text.splitlines() if line.startswith("asyncpizza_") and "_bucket" not in line))
    print("orders table:", by_status, "attempts table:", by_outcome)

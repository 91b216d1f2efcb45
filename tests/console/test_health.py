"""The admin index as a console: branded, and opening with the engine's health panel."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Success
from django_q.tasks import async_task

from console.health import engine_health
from orders.models import OrderStatus
from core.queue import schedule_once
from workflow.recovery import RECOVERY_SCHEDULE_NAME, ensure_recovery_schedule
from workflow.attempt import store_order_task

from ..factories import make_order
from .helpers import failed_order

pytestmark = pytest.mark.django_db


def test_the_index_is_branded_and_opens_with_the_health_panel(admin_client, menu):
    page = admin_client.get("/admin/").content.decode()
    assert "<title>Operations | Async Pizza operations</title>" in page
    assert "Async Pizza operations" in page and "Django administration" not in page
    assert page.index('id="health-panel"') < page.index('class="app-orders module')  # first thing on the page
    assert "Stopped" in page and "no cluster has sent a heartbeat" in page  # no cluster in this test


def test_the_cache_is_shared_by_every_process(settings):
    # django-q2 keeps its cluster status in the cache: local memory would show each process only itself.
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert settings.Q_CLUSTER["cache"] == "default"
    cache.set("console-probe", 42)
    assert cache.get("console-probe") == 42


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_prepare_makes_the_cache_table_and_may_run_again():
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE asyncpizza_cache")
    call_command("prepare", verbosity=0)
    call_command("prepare", verbosity=0)
    cache.set("after-prepare", "ok")
    assert cache.get("after-prepare") == "ok"


def test_queued_tasks_and_the_oldest_ones_age(menu):
    assert engine_health().queue_depth == 0 and engine_health().oldest_queued_at is None
    async_task("math.floor", 1.5)
    async_task("math.floor", 2.5)
    OrmQ.objects.filter(pk=OrmQ.objects.order_by("pk").first().pk).update(lock=timezone.now() - timedelta(seconds=90))
    health = engine_health()
    assert health.queue_depth == 2
    assert 89 <= health.oldest_queued_s <= 95


def test_scheduled_retries_due_and_sweeps(menu):
    order = make_order(menu)
    now = timezone.now()
    schedule_once(store_order_task, order.pk, at=now - timedelta(seconds=3), name="due", group="g")
    schedule_once(store_order_task, order.pk, at=now + timedelta(seconds=30), name="later", group="g")
    sweep = ensure_recovery_schedule()
    Success.objects.create(id="t1", name="sweep", func=sweep.func,
                           started=now - timedelta(seconds=61), stopped=now - timedelta(seconds=60), success=True,
                           result="requeued 0 order(s)")
    Schedule.objects.filter(pk=sweep.pk).update(task="t1")

    health = engine_health(now)
    [retries] = health.scheduled
    assert (retries.purpose, retries.scheduled, retries.due) == ("Store-order retries", 2, 1)
    assert health.retries_due == 1
    [recovery] = [s for s in health.sweeps if s.name == RECOVERY_SCHEDULE_NAME]
    assert recovery.last_ran_at == now - timedelta(seconds=60) and recovery.last_result == "requeued 0 order(s)"


def test_orders_by_status_link_to_the_filtered_list(admin_client, menu):
    failed_order(menu)
    make_order(menu)
    make_order(menu)
    page = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/orders/order/?status__exact=failed"' in page
    counts = {row.status: row.count for row in engine_health().orders}
    assert counts[OrderStatus.RECEIVED] == 2 and counts[OrderStatus.FAILED] == 1 and counts[OrderStatus.CONFIRMED] == 0
    listing = admin_client.get("/admin/orders/order/?status__exact=failed").content.decode()
    assert "failed@example.com" in listing and "ada@example.com" not in listing


def test_the_index_links_to_needs_attention_with_counts(admin_client, menu):
    failed_order(menu)
    page = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/needs-attention/#failed">Failed orders: <strong>1</strong>' in page

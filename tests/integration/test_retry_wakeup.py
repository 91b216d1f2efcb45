"""A retry starts when it is due, not at the next scheduler tick (core/schedule_clock.py ScheduleClock).

A real cluster (in place of the suite's) on the suite's SQLite database, whose scheduler tick, the safety net,
is long (Q_SCHEDULER_TICK_S=30): an order's retries against the real shop (down, then back) start well before
a tick could have run them; a schedule committed while its wake-up is lost is run by the safety net (here a
3 s one); a rolled-back schedule queues nothing and runs nothing, while a committed one beside it runs at once.
"""

import math
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule, Task

from core import wakeup
from core.queue import queued_rows, schedule_once
from orders.models import Order, OrderStatus

from ..support.cluster import WorkerCluster
from ..support.waiting import wait_until
from .test_queue_wakeup import new_order

LONG_TICK_S = 30
# Well under the long tick: a retry this late or less was run as it came due, not by a tick.
PROMPT = timedelta(seconds=5)


def start_cluster(shop, smtp, tmp_path, tick_s: float) -> WorkerCluster:
    cluster = WorkerCluster(
        shop_url=shop.url, smtp_port=smtp.port, log_path=tmp_path / "qcluster.log",
        extra_env={
            "SHOP_API_KEY": shop.api_key,
            "SHOP_CONTROL_TOKEN": shop.control_token,
            "Q_SCHEDULER_TICK_S": str(tick_s),
            "STORE_ORDER_BACKOFF_S": "1",  # each retry due about 1 s after the attempt that failed
            "STORE_ORDER_BACKOFF_CAP_S": "1",
            "STORE_ORDER_MAX_ATTEMPTS": "6",
        },
    ).start()
    # The clock listens once it has looked at the schedules for the first time: ring() counts the live ones.
    directory = wakeup.socket_directory("default", wakeup.SCHEDULES.suffix)
    wait_until(lambda: wakeup.ring(directory) > 0, timeout=60, message=f"the cluster's clock listening in {directory}")
    return cluster


@pytest.fixture
def long_tick_cluster(no_other_cluster, transactional_db, shop, smtp, menu, tmp_path):
    cluster = start_cluster(shop, smtp, tmp_path, LONG_TICK_S)
    yield cluster
    cluster.stop()


@pytest.fixture
def short_tick_cluster(no_other_cluster, transactional_db, shop, smtp, menu, tmp_path):
    cluster = start_cluster(shop, smtp, tmp_path, 3)
    yield cluster
    cluster.stop()


def run_once(seconds: float = 0) -> str:
    """A one-off schedule of a trivial task, due in `seconds`; returns its group (its task's witness)."""
    group = f"clock {uuid.uuid4().hex[:8]}"
    schedule_once(math.floor, 1.5, at=timezone.now() + timedelta(seconds=seconds), name=group, group=group)
    return group


def ran(group: str, timeout: float) -> Task:
    return wait_until(lambda: Task.objects.filter(group=group).first(), timeout=timeout, message=f"the task of {group}")


@pytest.mark.cluster
def test_retries_start_as_they_come_due_not_at_the_long_tick(long_tick_cluster, shop):
    shop.configure(down=True)
    order = new_order(100)
    # Three retries, each due 1 s after a failure: by the 30 s tick alone this would take a minute or more.
    wait_until(lambda: Order.objects.get(pk=order.pk).attempts_made >= 4, timeout=45,
               message="four attempts (three retries)")
    shop.configure(down=False)
    order = wait_until(lambda: Order.objects.filter(pk=order.pk, status=OrderStatus.CONFIRMED).first(), timeout=45,
                       message="the order confirmed")
    retries = list(order.attempts.filter(number__gte=2).order_by("number"))
    assert len(retries) >= 3
    late = [timedelta(milliseconds=attempt.queue_delay_ms) for attempt in retries]
    assert all(lateness < PROMPT for lateness in late), (late, long_tick_cluster.log_tail())


@pytest.mark.cluster
def test_a_schedule_whose_wake_up_is_lost_is_run_by_the_safety_net_tick(short_tick_cluster, monkeypatch):
    monkeypatch.setattr(wakeup, "ring", lambda *args: 0)  # its commit reaches nobody
    group = run_once()
    assert ran(group, timeout=30).success, short_tick_cluster.log_tail()


@pytest.mark.cluster
def test_a_rolled_back_schedule_runs_nothing_and_a_committed_one_beside_it_runs_at_once(long_tick_cluster):
    with pytest.raises(RuntimeError), transaction.atomic():
        undone = run_once()
        raise RuntimeError("the retry's transaction fails after its schedule was made")
    committed = run_once()
    task = ran(committed, timeout=PROMPT.total_seconds())  # woken, not by the 30 s tick
    assert task.success
    assert not Schedule.objects.filter(name=undone).exists()
    assert not Task.objects.filter(group=undone).exists()
    assert queued_rows().count() == 0

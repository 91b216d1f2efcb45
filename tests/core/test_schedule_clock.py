"""core.schedule_clock: how long the qcluster parent sleeps before it looks for due schedules again, and its
wake-up when a schedule commits (in this process, on the suite's SQLite file database)."""

import math
import time
from datetime import datetime, timedelta, timezone as tz

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf

from core import wakeup
from core.queue import schedule_once
from core.schedule_clock import ScheduleClock, sleep_s

from ..support.waiting import wait_until

NOW = datetime(2026, 1, 1, 12, tzinfo=tz.utc)
SAFETY_NET_S = 30


def test_with_no_schedule_the_clock_sleeps_the_safety_net():
    assert sleep_s(None, NOW, SAFETY_NET_S) == SAFETY_NET_S


def test_the_clock_sleeps_until_the_earliest_schedule_is_due():
    assert sleep_s(NOW + timedelta(seconds=1.25), NOW, SAFETY_NET_S) == 1.25


def test_a_schedule_due_after_the_safety_net_is_looked_at_by_the_net_first():
    assert sleep_s(NOW + timedelta(hours=1), NOW, SAFETY_NET_S) == SAFETY_NET_S


def test_a_schedule_due_already_is_run_at_once():
    assert sleep_s(NOW - timedelta(seconds=5), NOW, SAFETY_NET_S) == 0


def test_a_due_schedule_the_scheduler_could_not_take_waits_for_the_net_not_a_busy_loop():
    assert sleep_s(NOW - timedelta(seconds=5), NOW, SAFETY_NET_S, stuck=True) == SAFETY_NET_S


CLUSTER = "clock-test"


@pytest.fixture
def clock(transactional_db, monkeypatch):
    """A clock of a cluster of its own name: a suite cluster running meanwhile leaves these schedules alone
    (its scheduler runs only those naming no cluster), and this clock sees only them."""
    monkeypatch.setattr(Conf, "CLUSTER_NAME", CLUSTER)
    made = ScheduleClock(safety_net_s=SAFETY_NET_S)
    assert not made.due()  # its first look: nothing scheduled, so it would sleep the 30 s net
    yield made
    made.close()


def schedule_for_this_clock(seconds: float):
    """A one-off schedule due in `seconds`, for the clock's cluster, in one transaction (its wake-up at commit)."""
    with transaction.atomic():
        schedule = schedule_once(math.floor, 1.5, at=timezone.now() + timedelta(seconds=seconds), name="clock", group="g")
        schedule.cluster = CLUSTER
        schedule.save(update_fields=["cluster"])
    return schedule


def turn(clock) -> bool:
    """One turn of the qcluster parent's loop: wait, then ask."""
    clock.wait()
    return clock.due()


def test_a_committed_schedule_wakes_the_clock_which_then_says_due_at_its_time_not_at_the_net(clock):
    schedule_for_this_clock(0.5)
    # Within 10 s, well under the 30 s net the clock was sleeping: only the wake-up can have made it look.
    wait_until(lambda: turn(clock), timeout=10, interval=0, message="the schedule due")


def test_a_due_schedule_no_scheduler_takes_is_looked_at_again_only_at_the_net(clock):
    schedule_for_this_clock(-1)
    assert wait_until(lambda: turn(clock), timeout=10, interval=0, message="the schedule due")
    assert turn(clock)  # looked at again at once: still due, nobody took it
    started = time.monotonic()
    for _ in range(3):
        assert not turn(clock)  # now it sleeps the net: no query, no busy loop
    assert time.monotonic() - started < 3


def test_the_schedules_wake_up_arrives_only_once_the_schedule_commits(transactional_db):
    listener = wakeup.listener(wakeup.SCHEDULES, "default")
    assert isinstance(listener, wakeup.SocketListener)
    listener.drain()
    try:
        with transaction.atomic():
            schedule_once(math.floor, 1.5, at=timezone.now() + timedelta(hours=1), name="later", group="g")
            assert not listener.wait(0.3)
        assert listener.wait(2)
        listener.drain()
        with pytest.raises(RuntimeError), transaction.atomic():
            schedule_once(math.floor, 1.5, at=timezone.now() + timedelta(hours=1), name="undone", group="g")
            raise RuntimeError("the retry's transaction fails after its schedule was made")
        assert not listener.wait(0.5)
    finally:
        listener.close()

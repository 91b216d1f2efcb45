"""core/queue.py: the task history is pruned by a schedule of ours, not by django-q2 on every save, and a
one-off schedule can be taken back."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Failure, Schedule, Success

from core.queue import (
    TASK_HISTORY_SCHEDULE_NAME, prune_task_history, schedule_once, task_path, unschedule,
)

pytestmark = pytest.mark.django_db


def task_records(count: int, *, success: bool = True, start: int = 0) -> list[str]:
    """`count` finished task records, a second apart, the oldest first; their names."""
    long_ago = timezone.now() - timedelta(days=1)
    records = [
        Success(id=uuid4().hex, name=f"old task {n}", func="workflow.attempt.store_order_task", args=(n,), kwargs={},
                result="attempt 1: accepted", group=f"order {n}", started=long_ago + timedelta(seconds=n),
                stopped=long_ago + timedelta(seconds=n), success=success)
        for n in range(start, start + count)
    ]
    Success.objects.bulk_create(records)
    return [record.name for record in records]


def test_django_q2_prunes_nothing_itself_on_each_save():
    # Its save_limit reads every successful task's row on each save: seconds of CPU a minute at a few thousand.
    assert settings.Q_CLUSTER["save_limit"] == 0


def test_pruning_keeps_the_newest_successful_tasks_and_every_failed_one(admin_client):
    names = task_records(8)
    failed = task_records(2, success=False, start=100)[0]

    assert prune_task_history(keep=5) == 3

    assert sorted(Success.objects.values_list("name", flat=True)) == sorted(names[3:])
    assert Failure.objects.count() == 2
    listing = admin_client.get("/admin/django_q/success/").content.decode()
    assert all(f">{name}<" in listing for name in names[3:]) and f">{names[2]}<" not in listing
    assert f">{failed}<" in admin_client.get("/admin/django_q/failure/").content.decode()
    assert prune_task_history(keep=5) == 0


def test_pruning_keeps_the_number_the_setting_says(settings):
    settings.Q_TASK_HISTORY = 2
    task_records(4)
    prune_task_history()
    assert Success.objects.count() == 2


@pytest.mark.django_db(databases=["default", "shop"])
def test_prepare_schedules_the_pruning_every_minute():
    call_command("prepare", verbosity=0)
    schedule = Schedule.objects.get(name=TASK_HISTORY_SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        task_path(prune_task_history), Schedule.MINUTES, 1)


def test_unschedule_takes_back_the_named_one_off_schedule_only():
    at = timezone.now() + timedelta(minutes=1)
    schedule_once(prune_task_history, at=at, name="check A", group="g")
    schedule_once(prune_task_history, at=at, name="check B", group="g")

    assert unschedule(prune_task_history, name="check A") == 1

    assert list(Schedule.objects.values_list("name", flat=True)) == ["check B"]
    assert unschedule(prune_task_history, name="check A") == 0

"""Notifications whose job was lost are queued again; the rest are left alone."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from api.models import CallbackDelivery, DeliveryState
from ..task_paths import DELIVER_CALLBACK_TASK
from api.recovery import SCHEDULE_NAME, requeue_stalled_notifications
from orders.models import Order
from ..task_paths import NOTIFY_CALLBACK_TASK
from workflow.recovery import GRACE

from ..factories import make_order

pytestmark = pytest.mark.django_db


def confirmed_long_ago(menu, **fields):
    long_ago = timezone.now() - GRACE - timedelta(seconds=5)
    order = make_order(menu, callback_url="http://127.0.0.1:9/hook", **fields)
    order.begin_attempt(now=long_ago)
    order.confirm(shop_order_id="SHOP-1", now=long_ago)
    Order.objects.filter(pk=order.pk).update(updated_at=long_ago)
    return order


def test_lost_notifications_are_queued_again(menu):
    never_started = confirmed_long_ago(menu)
    overdue_order = confirmed_long_ago(menu)
    overdue = CallbackDelivery.objects.create(
        order=overdue_order, status="confirmed", url=overdue_order.callback_url, body="{}", max_tries=3,
        next_try_at=timezone.now() - GRACE - timedelta(seconds=5),
    )
    delivered_order = confirmed_long_ago(menu)
    CallbackDelivery.objects.create(
        order=delivered_order, status="confirmed", url=delivered_order.callback_url, body="{}", max_tries=3,
        state=DeliveryState.DELIVERED,
    )
    make_order(menu)  # open, and no callback_url: nothing to announce

    assert requeue_stalled_notifications() == 2
    jobs = sorted((job["func"], job["args"]) for job in (SignedPackage.loads(r.payload) for r in OrmQ.objects.all()))
    assert jobs == sorted([(NOTIFY_CALLBACK_TASK, (never_started.pk,)), (DELIVER_CALLBACK_TASK, (overdue.pk,))])


@pytest.mark.django_db(databases=["default", "shop"])
def test_prepare_schedules_the_sweep():
    call_command("prepare", verbosity=0)
    call_command("prepare", verbosity=0)  # safe to repeat
    assert Schedule.objects.filter(name=SCHEDULE_NAME, func="api.tasks.requeue_stalled_notifications_task").count() == 1

"""The stalled-order sweep: it queues again what lost its job, and nothing else."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from orders.models import Order
from ..task_paths import CALLBACK_DEADLINE_TASK, SEND_STATUS_EMAIL_TASK, STORE_ORDER_TASK
from workflow.recovery import GRACE, requeue_stalled_orders

from ..factories import make_order

pytestmark = pytest.mark.django_db


def queued():
    return sorted((job["func"], job["args"]) for job in (SignedPackage.loads(r.payload) for r in OrmQ.objects.all()))


def test_the_sweep_requeues_what_lost_its_job_and_leaves_the_rest(menu):
    long_ago = timezone.now() - GRACE - timedelta(seconds=5)
    stuck = make_order(menu)
    Order.objects.filter(pk=stuck.pk).update(updated_at=long_ago)
    fresh = make_order(menu)  # its job is surely still on its way
    unmailed = make_order(menu)
    unmailed.begin_attempt(now=long_ago)
    unmailed.confirm(shop_order_id="SHOP-1", now=long_ago)
    waiting = make_order(menu)
    waiting.begin_attempt(now=long_ago)
    waiting.await_callback(until=long_ago)

    assert requeue_stalled_orders() == 3
    assert queued() == sorted([
        (STORE_ORDER_TASK, (stuck.pk,)),
        (SEND_STATUS_EMAIL_TASK, (unmailed.pk, "confirmed")),
        (CALLBACK_DEADLINE_TASK, (waiting.pk,)),
    ])
    assert fresh.pk not in [args[0] for _, args in queued()]


def test_a_cancellation_mail_is_due_even_when_the_confirmation_mail_was_undeliverable(menu):
    # Found on main: "mail pending" left out any order whose mail_status was undeliverable, whatever mail that
    # was about, while the mail step sends the next kind: a lost cancellation-mail job was never queued again.
    long_ago = timezone.now() - GRACE - timedelta(seconds=5)
    order = make_order(menu)
    order.begin_attempt(now=long_ago)
    order.confirm(shop_order_id="SHOP-1", now=long_ago)
    Order.objects.filter(pk=order.pk).update(mail_kind="confirmed", mail_status="undeliverable")
    order.refresh_from_db()
    order.begin_cancelling(by="admin", now=long_ago)
    order.cancelled_at_shop(now=long_ago)
    order.refresh_from_db()

    assert requeue_stalled_orders() == 1
    assert queued() == [(SEND_STATUS_EMAIL_TASK, (order.pk, "cancelled"))]
    assert order.is_mail_pending and Order.objects.mail_pending().get() == order

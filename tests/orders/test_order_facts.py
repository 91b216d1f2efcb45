"""The order's facts, asked of the order: when it became final, whether and why it can be cancelled, which
status mail is due. Every reader (API, console, mail, metrics, diagram) asks these; none re-derives them."""

import pytest
from django.utils import timezone

from orders.models import STATUS_MAILS, Order, OrderStatus

from ..factories import make_order

pytestmark = pytest.mark.django_db


def test_final_at_is_the_moment_of_each_final_status_and_none_while_open(menu):
    now = timezone.now()
    assert make_order(menu).final_at is None
    assert make_order(menu, status=OrderStatus.CANCELLING, cancel_requested_at=now).final_at is None
    assert make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=now).final_at == now
    assert make_order(menu, status=OrderStatus.FAILED, failed_at=now).final_at == now
    assert make_order(menu, status=OrderStatus.CANCELLED, cancelled_at=now).final_at == now


def test_why_an_order_cannot_be_cancelled(menu):
    now = timezone.now()
    reasons = {
        OrderStatus.RECEIVED: make_order(menu),
        OrderStatus.CONFIRMED: make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=now),
        OrderStatus.FAILED: make_order(menu, status=OrderStatus.FAILED, failed_at=now),
        OrderStatus.CANCELLED: make_order(menu, status=OrderStatus.CANCELLED, cancelled_at=now),
        OrderStatus.CANCELLING: make_order(menu, status=OrderStatus.CANCELLING),
        "too late": make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=now, cancel_refused_reason="in the oven"),
    }
    said = {key: order.why_not_cancellable for key, order in reasons.items()}
    assert said[OrderStatus.RECEIVED] == said[OrderStatus.CONFIRMED] == ""
    assert "nothing to cancel" in said[OrderStatus.FAILED] and "cancelled already" in said[OrderStatus.CANCELLED]
    assert "being cancelled" in said[OrderStatus.CANCELLING] and "in the oven" in said["too late"]
    assert [key for key, order in reasons.items() if order.can_be_cancelled] == [OrderStatus.RECEIVED, OrderStatus.CONFIRMED]


def test_each_final_status_calls_for_its_mail_and_the_one_query_agrees_with_each_order(menu):
    now = timezone.now()
    orders = [
        make_order(menu),  # open: no mail
        make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=now),
        make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=now, confirmation_email_sent_at=now),
        make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=now, cancel_refused_reason="in the oven",
                   confirmation_email_sent_at=now),  # the too-late mail is still due
        make_order(menu, status=OrderStatus.FAILED, failed_at=now, mail_kind="failed", mail_status="undeliverable"),
        make_order(menu, status=OrderStatus.CANCELLED, cancelled_at=now),
        make_order(menu, status=OrderStatus.CANCELLED, cancelled_at=now, cancel_requested_by="shop",
                   cancellation_email_sent_at=now),  # the shop changed its mind: its own mail is due
    ]
    assert [order.status_mail_kind for order in orders] == [
        "", "confirmed", "confirmed", "too_late", "failed", "cancelled", "shop_cancelled"]
    pending = [order.pk for order in orders if order.is_mail_pending]
    assert pending == [orders[1].pk, orders[3].pk, orders[5].pk, orders[6].pk]
    assert sorted(Order.objects.mail_pending().values_list("pk", flat=True)) == sorted(pending)
    assert [order.why_no_mail_due for order in orders[:3]] == [
        "it has no final status yet, so no mail to send", "", "its mail has been sent"]
    assert orders[4].why_no_mail_due.startswith("its mail is undeliverable")
    assert set(STATUS_MAILS) == {"confirmed", "failed", "cancelled", "shop_cancelled", "too_late"}

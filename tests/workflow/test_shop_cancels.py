"""The shop changes its mind about an order it had accepted (issue 18's probe: the order stayed confirmed
forever, also after `manage.py reconcile`). Against the real shop: it cancels a confirmed order; the app
learns it from the shop's signed event (callback mode) or from its reconciliation sweep (every mode); the
order becomes cancelled with the shop's reason, the customer gets exactly one mail, the status page, the API
and needs-attention say so."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from orders.models import Order, OrderStatus
from trainer.shop_control import ShopControl
from workflow.attempt import shop_payload, store_order
from workflow.callbacks import check_callback_deadline
from workflow.mail import send_status_email
from workflow.reconciliation import reconcile_with_shop
from workflow.retry_policy import RetryPolicy

from ..factories import make_order
from ..task_paths import SEND_STATUS_EMAIL_TASK
from .test_shop_webhook import awaiting_order, callback_body, post, signed

pytestmark = pytest.mark.django_db


def confirmed_at_the_shop(menu, **fields) -> Order:
    order = make_order(menu, customer_email="ada@example.com", **fields)
    store_order(order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    return order


def mail_jobs(order) -> list[tuple]:
    jobs = (SignedPackage.loads(row.payload) for row in OrmQ.objects.all())
    return [job["args"] for job in jobs if job["func"] == SEND_STATUS_EMAIL_TASK and job["args"][0] == order.pk]


def send_queued_mails(order) -> int:
    return sum(send_status_email(*args) for args in mail_jobs(order))


def test_a_confirmed_order_the_shop_cancels_is_cancelled_by_the_sweep_and_the_customer_told_once(
    client, admin_client, menu, shop, smtp
):
    order = confirmed_at_the_shop(menu)
    send_status_email(order.pk, "confirmed")  # the confirmation went out before the shop changed its mind
    OrmQ.objects.all().delete()

    ShopControl().cancel_by_shop(str(order.idempotency_key), reason="the oven broke")
    first = reconcile_with_shop(grace=timedelta(0))
    again = reconcile_with_shop(grace=timedelta(0))  # a second sweep finds nothing new to do

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "the shop cancelled it: the oven broke")
    assert (first.cancelled_by_shop, again.cancelled_by_shop) == ([str(order.idempotency_key)], [])
    assert mail_jobs(order) == [(order.pk, "shop_cancelled")]
    assert send_queued_mails(order) == 1 and send_status_email(order.pk, "shop_cancelled") is False
    [confirmation, notice] = smtp.messages_to("ada@example.com")
    assert "confirmed" in confirmation["Subject"]
    assert notice["Subject"].startswith("The shop cancelled your pizza order")
    assert "The shop cancelled it: the oven broke." in notice.get_body(("plain",)).get_content()

    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-order-status="cancelled"' in page and "by the shop" in page and "the oven broke" in page
    api = client.get(f"/api/orders/{order.public_id}").json()
    assert (api["status"], api["cancel_reason"]) == ("cancelled", "the shop cancelled it: the oven broke")
    attention = admin_client.get("/admin/needs-attention/")
    listed = next(s for s in attention.context["sections"] if s.key == "shop_cancelled")
    assert [row.label for row in listed.rows] == [order.short_id]


def test_needs_attention_lists_a_shop_cancellation_for_a_day(admin_client, menu, shop):
    order = confirmed_at_the_shop(menu)
    ShopControl().cancel_by_shop(str(order.idempotency_key))
    reconcile_with_shop(grace=timedelta(0))
    Order.objects.filter(pk=order.pk).update(cancelled_at=timezone.now() - timedelta(days=1, minutes=1))
    listed = next(s for s in admin_client.get("/admin/needs-attention/").context["sections"] if s.key == "shop_cancelled")
    assert listed.rows == []


def test_the_shop_s_signed_event_cancels_the_order_at_once(client, menu):
    order = awaiting_order(menu)  # the accepted callback is still on its way: the cancellation overtakes it
    body = callback_body(order, event="order.cancelled", status="cancelled", reason="out of dough")
    headers = signed(body)

    response = post(client, body, headers)
    replay = post(client, body, headers)

    order.refresh_from_db()
    assert response.status_code == 200 and response.json() == {"result": "cancelled by the shop"}
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "the shop cancelled it: out of dough")
    assert replay.status_code == 409  # the same webhook-id twice changes nothing
    assert mail_jobs(order) == [(order.pk, "shop_cancelled")]
    late_accept = callback_body(order)
    assert post(client, late_accept, signed(late_accept)).status_code == 409  # no resurrection
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_the_shop_cannot_cancel_what_it_never_accepted_here(client, menu):
    order = make_order(menu)
    order.begin_attempt(now=timezone.now())
    order.fail(reason="given up", now=timezone.now())
    body = callback_body(order, event="order.cancelled", status="cancelled", reason="out of dough")
    assert post(client, body, signed(body)).status_code == 409
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FAILED


def test_a_deadline_check_that_finds_the_order_cancelled_by_the_shop_never_confirms_it(menu, shop, shop_client):
    """The accepted callback was lost, then the shop cancelled the order: asking must not read 'accepted'."""
    order = make_order(menu)
    order.begin_attempt(now=timezone.now())
    order.await_callback(until=timezone.now() - timedelta(seconds=1))
    shop_client.place_order(shop_payload(order), idempotency_key=str(order.idempotency_key))
    ShopControl().cancel_by_shop(str(order.idempotency_key), reason="no driver free")

    policy = RetryPolicy(max_attempts=3, base_delay_s=1, max_delay_s=5, jitter=0)
    assert check_callback_deadline(order.pk, client=shop_client, policy=policy) == "cancelled by the shop"
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "the shop cancelled it: no driver free")

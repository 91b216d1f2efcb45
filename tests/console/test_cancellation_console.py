"""The needs-attention page and cancellation: compensations pending, mails undeliverable, and the bulk
"Cancel" action with its confirmation page, going through workflow.cancellation's one path against the real
shop simulator."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from orders.models import MailStatus, Order, OrderStatus
from workflow.attempt import store_order
from workflow.cancellation import cancel_at_shop, request_cancellation
from workflow.engine_policy import current_retry_policy
from workflow.mail import send_status_email
from workflow.retry_policy import RetryPolicy

from ..factories import make_order
from ..task_paths import COMPENSATION_TASK
from .helpers import aged

pytestmark = pytest.mark.django_db

PAGE = "/admin/needs-attention/"
CONFIRM = "/admin/needs-attention/confirm/"
POLICY = RetryPolicy(max_attempts=3, base_delay_s=5, max_delay_s=60, jitter=0)


def section(response, key):
    return next(s for s in response.context["sections"] if s.key == key)


def queued(func):
    return [job["args"] for job in (SignedPackage.loads(row.payload) for row in OrmQ.objects.all()) if job["func"] == func]


def confirmed_at_shop(menu, shop_client, **fields) -> Order:
    order = make_order(menu, **fields)
    store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    return order


def test_compensations_pending_lists_cancellations_the_shop_has_not_settled(admin_client, menu, shop, shop_client):
    shop.configure(cancel_window_s=300)
    # Cancelling for five minutes, every compensating call failed (the shop was down).
    stalled = confirmed_at_shop(menu, shop_client, customer_email="stalled@example.com")
    request_cancellation(stalled.pk, by="customer")
    shop.configure(down=True)
    policy = current_retry_policy()  # the engine's, which the page judges by
    for _ in range(policy.max_attempts):
        cancel_at_shop(stalled.pk, client=shop_client, policy=policy)
    shop.configure(down=False)
    aged(stalled, cancel_requested_at=timedelta(minutes=5))
    # Cancelling for a moment only: its compensating call is surely on its way.
    fresh = confirmed_at_shop(menu, shop_client, customer_email="fresh@example.com")
    request_cancellation(fresh.pk, by="customer")
    # Cancelled at the shop: settled.
    settled = confirmed_at_shop(menu, shop_client, customer_email="settled@example.com")
    request_cancellation(settled.pk, by="customer")
    assert cancel_at_shop(settled.pk, client=shop_client, policy=POLICY) == "cancelled"
    aged(settled, cancel_requested_at=timedelta(minutes=5))

    response = admin_client.get(PAGE)
    pending = section(response, "compensations")
    assert [row.label for row in pending.rows] == [stalled.short_id]
    customer, age, last_try, why = pending.rows[0].cells
    assert customer == "stalled@example.com" and age.startswith("5 min")
    assert "failed" in last_try and "out of tries" in last_try
    assert f"out of tries ({policy.max_attempts} of {policy.max_attempts})" in why
    page = response.content.decode()
    assert "Compensations pending" in page and "stalled@example.com" in page
    assert "fresh@example.com" not in page and "settled@example.com" not in page


def test_undeliverable_mails_are_listed_with_what_the_customer_was_told(admin_client, menu, smtp):
    smtp.refuse("gone@example.com", "550 5.1.1 no such mailbox")
    gone = make_order(menu, customer_email="gone@example.com")
    gone.begin_attempt(now=timezone.now())
    gone.confirm(shop_order_id="SHOP-GONE1", now=timezone.now())
    assert send_status_email(gone.pk, "confirmed") is False
    mailed = make_order(menu, customer_email="mailed@example.com")
    mailed.begin_attempt(now=timezone.now())
    mailed.confirm(shop_order_id="SHOP-MAIL1", now=timezone.now())
    assert send_status_email(mailed.pk, "confirmed") is True

    response = admin_client.get(PAGE)
    undeliverable = section(response, "mails_undeliverable")
    assert [row.label for row in undeliverable.rows] == [gone.short_id]
    customer, subject, said, told = undeliverable.rows[0].cells
    assert customer == "gone@example.com" and "confirmed" in subject and "550" in said
    assert "status page shows confirmed" in told
    # Given up on, so not among the mails still to send (where "Send the mail again" would be offered).
    assert gone.pk not in [int(row.id) for row in section(response, "mails").rows]
    assert Order.objects.get(pk=gone.pk).mail_status == MailStatus.UNDELIVERABLE


def test_cancel_with_its_confirmation_cancels_at_once_or_asks_the_shop(admin_client, menu, shop, shop_client):
    shop.configure(cancel_window_s=300)
    received = make_order(menu, customer_email="received@example.com")
    confirmed = confirmed_at_shop(menu, shop_client, customer_email="confirmed@example.com")
    failed = make_order(menu, attempt_limit=1)
    failed.begin_attempt(now=timezone.now())
    failed.fail(reason="the shop refused it", now=timezone.now())
    chosen = {"action": "cancel", "order": [received.pk, confirmed.pk, failed.pk]}

    # The confirmation page: what will change, what is left alone and why; nothing changes yet.
    page = admin_client.post(CONFIRM, chosen).content.decode()
    assert "cancelled at once: the shop cannot hold it yet" in page
    assert "a compensating call asks the shop to cancel it" in page and "too late" in page
    assert "it has failed: the shop does not have it" in page
    assert Order.objects.get(pk=received.pk).status == OrderStatus.RECEIVED
    assert Order.objects.get(pk=confirmed.pk).status == OrderStatus.CONFIRMED
    assert queued(COMPENSATION_TASK) == []

    response = admin_client.post(CONFIRM, {**chosen, "confirmed": "yes"}, follow=True)
    assert Order.objects.get(pk=received.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=confirmed.pk).status == OrderStatus.CANCELLING
    assert Order.objects.get(pk=failed.pk).status == OrderStatus.FAILED
    assert queued(COMPENSATION_TASK) == [(confirmed.pk,)]
    shown = [str(m) for m in response.context["messages"]]
    assert any("Cancelled 2 order(s)" in m for m in shown)
    # The queued compensating call, as the worker runs it, cancels it at the shop.
    assert cancel_at_shop(confirmed.pk, client=shop_client, policy=POLICY) == "cancelled"

    # A second click changes nothing: no second compensating call, no move.
    before = {o.pk: (o.status, o.updated_at) for o in Order.objects.all()}
    response = admin_client.post(CONFIRM, {**chosen, "confirmed": "yes"}, follow=True)
    assert {o.pk: (o.status, o.updated_at) for o in Order.objects.all()} == before
    assert queued(COMPENSATION_TASK) == [(confirmed.pk,)]
    assert any("cancelled already" in str(m) for m in response.context["messages"])


def test_cancel_needs_the_permission_to_change_orders(client, menu):
    order = make_order(menu)
    viewer = get_user_model().objects.create_user("viewer", password="a-long-password-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'value="cancel"' not in page.content.decode()
    response = client.post(CONFIRM, {"action": "cancel", "order": [order.pk], "confirmed": "yes"})
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RECEIVED

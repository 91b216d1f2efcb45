"""The shop's callbacks at the app's webhook: only fresh, genuine, first deliveries change anything."""

import json
import time
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from core.queue import task_path
from core.webhooks import signed_headers

from orders.models import Order, OrderStatus
from workflow.callbacks import check_callback_deadline_task
from workflow.models import EventKind, WebhookDelivery
from workflow.outcomes import await_callback

from ..factories import make_order

pytestmark = pytest.mark.django_db
URL = "/webhooks/shop"


def awaiting_order(menu) -> Order:
    order = make_order(menu)
    order.begin_attempt(now=timezone.now())
    await_callback(order, now=timezone.now(), for_s=60)  # with its deadline check scheduled, as the store step
    return order


def callback_body(order, **overrides) -> bytes:
    payload = {
        "event": "order.accepted", "idempotency_key": str(order.idempotency_key),
        "reference": str(order.public_id), "shop_order_id": "SHOP-CALLBACK1", "status": "accepted",
        "accepted_at": timezone.now().isoformat(), **overrides,
    }
    return json.dumps(payload).encode()


def signed(body: bytes, *, timestamp=None, secret=None, msg_id=None) -> dict:
    """Standard Webhooks headers, as the shop sends them; a new message id unless given."""
    return signed_headers(
        msg_id=msg_id or f"msg_{uuid.uuid4().hex}", body=body, secret=secret or settings.SHOP_WEBHOOK_SECRET,
        timestamp=timestamp,
    )


def post(client, body, headers):
    return client.post(URL, body, content_type="application/json", headers=headers)


def assert_unchanged(order):
    fresh = Order.objects.get(pk=order.pk)
    assert fresh.status == OrderStatus.AWAITING_CALLBACK and fresh.shop_order_id == ""


def test_a_genuine_callback_confirms_the_order_once(client, menu):
    order = awaiting_order(menu)
    body = callback_body(order)
    response = post(client, body, signed(body))
    assert response.status_code == 200 and response.json() == {"result": "confirmed"}
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.shop_order_id == "SHOP-CALLBACK1"
    assert order.events.filter(kind=EventKind.CALLBACK_RECEIVED).count() == 1


@pytest.mark.parametrize("event", [{}, {"event": "order.cancelled", "status": "cancelled", "reason": "no dough"}])
def test_a_callback_that_ends_the_wait_takes_back_its_deadline_check(client, menu, event):
    order, other = awaiting_order(menu), awaiting_order(menu)
    checks = Schedule.objects.filter(func=task_path(check_callback_deadline_task))
    assert checks.count() == 2
    body = callback_body(order, **event)
    assert post(client, body, signed(body)).status_code == 200
    assert [check.args for check in checks] == [repr((other.pk,))]  # the other order's check stays


def test_a_replayed_delivery_is_refused_and_changes_nothing(client, menu):
    order = awaiting_order(menu)
    body = callback_body(order)
    headers = signed(body)
    assert post(client, body, headers).status_code == 200
    events = order.events.count()
    replay = post(client, body, headers)
    assert replay.status_code == 409 and "processed already" in replay.json()["error"]
    assert WebhookDelivery.objects.count() == 1 and order.events.count() == events


def test_a_second_genuine_callback_for_a_confirmed_order_changes_nothing(client, menu):
    order = awaiting_order(menu)
    first = callback_body(order)
    post(client, first, signed(first))
    second = callback_body(order, shop_order_id="SHOP-OTHER")
    assert post(client, second, signed(second)).json() == {"result": "no change: the order was confirmed already"}
    assert Order.objects.get(pk=order.pk).shop_order_id == "SHOP-CALLBACK1"


@pytest.mark.parametrize(
    "headers, status",
    [
        ({}, 401),
        ({"webhook-timestamp": str(int(time.time()))}, 401),
        ("wrong secret", 401),
        ("tampered body", 401),
        ("not a number", 400),
        ("non-ascii signature", 401),
    ],
)
def test_forged_callbacks_are_refused(client, menu, headers, status):
    order = awaiting_order(menu)
    body = callback_body(order)
    if headers == "wrong secret":
        headers = signed(body, secret="guessed-secret")
    elif headers == "tampered body":
        headers = signed(body)
        body = body.replace(b"SHOP-CALLBACK1", b"SHOP-FORGED99")
    elif headers == "non-ascii signature":
        headers = {**signed(body), "webhook-signature": "v1,é" + "0" * 43}
    elif headers == "not a number":
        headers = {**signed(body), "webhook-timestamp": "yesterday"}
    response = post(client, body, headers)
    assert response.status_code == status and "error" in response.json()
    assert_unchanged(order)


@pytest.mark.parametrize("age_s", [settings.WEBHOOK_TOLERANCE_S + 60, -(settings.WEBHOOK_TOLERANCE_S + 60)])
def test_a_stale_or_future_signature_is_refused(client, menu, age_s):
    order = awaiting_order(menu)
    body = callback_body(order)
    response = post(client, body, signed(body, timestamp=int(time.time()) - age_s))
    assert response.status_code == 400 and "older than" in response.json()["error"]
    assert_unchanged(order)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", json.dumps({"shop_order_id": "x"}).encode()],
)
def test_malformed_callbacks_are_refused(client, menu, body):
    order = awaiting_order(menu)
    response = post(client, body, signed(body))
    assert response.status_code == 400
    assert_unchanged(order)


def test_a_callback_for_an_unknown_order_is_refused(client, menu):
    order = awaiting_order(menu)
    body = callback_body(order, idempotency_key=str(uuid.uuid4()))
    assert post(client, body, signed(body)).status_code == 404
    body = callback_body(order, idempotency_key="not-a-uuid")  # no order could have it: a malformed field
    response = post(client, body, signed(body))
    assert response.status_code == 400 and response.json() == {"error": "idempotency_key is not a UUID"}
    assert_unchanged(order)


def test_a_callback_for_a_failed_order_is_refused(client, menu):
    order = make_order(menu)
    order.begin_attempt(now=timezone.now())
    order.fail(reason="gave up", now=timezone.now())
    body = callback_body(order)
    assert post(client, body, signed(body)).status_code == 409
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FAILED


def test_the_webhook_takes_only_post(client):
    assert client.get(URL).status_code == 405

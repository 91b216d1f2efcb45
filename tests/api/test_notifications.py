"""The signed notification to an order's callback_url: sent when final, retried with backoff, once delivered
never again. A real HTTP server on loopback plays the client's receiver."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from api.models import CallbackDelivery, DeliveryState
from api.notifications import deliver_callback, notify_callback
from ..task_paths import DELIVER_CALLBACK_TASK
from api.tasks import notify_callback_task
from orders.models import Order

from ..factories import make_order
from ..support.ports import free_port
from .receiver import CallbackReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET) as receiver:
        yield receiver


def confirmed_order(menu, url, **fields) -> Order:
    order = make_order(menu, callback_url=url, **fields)
    now = timezone.now()
    order.begin_attempt(now=now)
    order.confirm(shop_order_id="SHOP-42", now=now)
    return order


def make_due(delivery):
    CallbackDelivery.objects.filter(pk=delivery.pk).update(next_try_at=timezone.now() - timedelta(seconds=1))


def test_a_client_verifies_the_notification_with_the_standard_webhooks_library(menu, settings):
    settings.API_CALLBACK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the format's own kind of secret
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET) as receiver:
        order = confirmed_order(menu, receiver.url)
        notify_callback(order.pk)
        [notice] = receiver.requests()
    assert notice.signature_ok and notice.answered == 204  # the library's Webhook.verify accepted it
    assert notice.headers["webhook-id"] == f"msg_{order.public_id.hex}_confirmed"
    assert notice.headers["webhook-signature"].startswith("v1,")


def test_a_final_order_is_announced_once_with_a_valid_signature(menu, receiver):
    order = confirmed_order(menu, receiver.url)
    assert notify_callback_task(order.pk) == "try 1 of 8: delivered"

    [notice] = receiver.requests()
    assert notice.signature_ok and notice.answered == 204
    assert notice.path == "/hooks/pizza"
    assert notice.headers["Content-Type"] == "application/json"
    assert notice.json() == {
        "id": str(order.public_id),
        "status": "confirmed",
        "shop_order_id": "SHOP-42",
        "final_at": order.confirmed_at.isoformat(),
    }
    # A repeated job (django-q2 may run one twice) sends nothing more.
    assert notify_callback(order.pk) is None
    assert len(receiver.requests()) == 1


def test_a_failed_order_is_announced_with_no_shop_reference(menu, receiver):
    order = make_order(menu, callback_url=receiver.url)
    order.begin_attempt(now=timezone.now())
    order.fail(reason="the shop refused the order (HTTP 400)", now=timezone.now())
    notify_callback(order.pk)
    [notice] = receiver.accepted()
    assert notice.json()["status"] == "failed" and notice.json()["shop_order_id"] is None


def test_a_receiver_that_is_down_gets_it_later_without_a_worker_waiting(menu, settings):
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET, fail_first=2) as receiver:
        order = confirmed_order(menu, receiver.url)
        before = timezone.now()
        delivery = notify_callback(order.pk)

        assert (delivery.state, delivery.tries, delivery.last_http_status) == (DeliveryState.PENDING, 1, 503)
        assert "503" in delivery.last_error
        [retry] = Schedule.objects.filter(func=DELIVER_CALLBACK_TASK)
        assert retry.args == repr((delivery.pk,)) and retry.schedule_type == Schedule.ONCE
        # base 1 s, ±20 % jitter
        assert timedelta(seconds=0.8) <= retry.next_run - before <= timedelta(seconds=1.2) + (timezone.now() - before)
        assert deliver_callback(delivery.pk) is None  # not due yet: an early duplicate does nothing

        make_due(delivery)
        delivery = deliver_callback(delivery.pk)
        assert (delivery.state, delivery.tries) == (DeliveryState.PENDING, 2)
        make_due(delivery)
        delivery = deliver_callback(delivery.pk)
        assert (delivery.state, delivery.tries, delivery.last_http_status) == (DeliveryState.DELIVERED, 3, 204)
        assert delivery.delivered_at is not None

        make_due(delivery)
        assert deliver_callback(delivery.pk) is None
        assert [r.answered for r in receiver.requests()] == [503, 503, 204]
        assert all(r.signature_ok for r in receiver.requests())
        # The same body and webhook-id on every try (the client deduplicates by it); each try signed anew.
        assert len({r.body for r in receiver.requests()}) == 1
        assert len({r.headers["webhook-id"] for r in receiver.requests()}) == 1


def test_a_receiver_nobody_listens_on_is_a_failed_try(menu):
    order = confirmed_order(menu, f"http://127.0.0.1:{free_port()}/hook")
    delivery = notify_callback(order.pk)
    assert delivery.state == DeliveryState.PENDING and delivery.last_http_status is None
    assert "ConnectionError" in delivery.last_error


def test_a_slow_receiver_times_out(menu, settings):
    settings.API_CALLBACK_TIMEOUT_S = 0.3
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET, delay_s=1) as receiver:
        delivery = notify_callback(confirmed_order(menu, receiver.url).pk)
    assert delivery.state == DeliveryState.PENDING and "Timeout" in delivery.last_error


def test_it_gives_up_after_the_last_try(menu, settings):
    settings.API_CALLBACK_MAX_TRIES = 2
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET, fail_first=10) as receiver:
        delivery = notify_callback(confirmed_order(menu, receiver.url).pk)
        make_due(delivery)
        delivery = deliver_callback(delivery.pk)
    assert (delivery.state, delivery.tries) == (DeliveryState.GAVE_UP, 2)
    assert Schedule.objects.filter(func=DELIVER_CALLBACK_TASK).count() == 1  # only the one after try 1


def test_a_try_whose_worker_was_lost_is_taken_over_once_it_is_stale(menu, receiver, settings):
    order = confirmed_order(menu, receiver.url)
    delivery = CallbackDelivery.objects.create(
        order=order, status=order.status, url=receiver.url, body="{}", max_tries=3, tries=1,
        trying_since=timezone.now(),
    )
    assert deliver_callback(delivery.pk) is None  # a live worker may still be on it
    CallbackDelivery.objects.filter(pk=delivery.pk).update(
        trying_since=timezone.now() - timedelta(seconds=settings.Q_TASK_TIMEOUT_S + 1)
    )
    delivery = deliver_callback(delivery.pk)
    assert (delivery.state, delivery.tries) == (DeliveryState.DELIVERED, 2)


def test_nothing_is_sent_for_an_open_order_or_one_without_a_callback_url(menu, receiver):
    assert notify_callback(make_order(menu, callback_url=receiver.url).pk) is None
    assert notify_callback(confirmed_order(menu, "").pk) is None
    assert notify_callback(10**9) is None
    assert receiver.requests() == [] and CallbackDelivery.objects.count() == 0


def test_a_failed_order_retried_by_an_admin_and_confirmed_is_announced_twice(menu, receiver):
    order = make_order(menu, callback_url=receiver.url)
    order.begin_attempt(now=timezone.now())
    order.fail(reason="the shop could not be reached after 3 attempts", now=timezone.now())
    notify_callback(order.pk)
    order.reopen(extra_attempts=3)
    order.begin_attempt(now=timezone.now())
    order.confirm(shop_order_id="SHOP-7", now=timezone.now())
    notify_callback(order.pk)
    assert [r.json()["status"] for r in receiver.accepted()] == ["failed", "confirmed"]


def test_a_cancelled_order_is_announced_with_the_moment_it_was_cancelled(menu, receiver):
    # Found on main: the body read only confirmed_at/failed_at, so a cancellation said "final_at": null.
    order = make_order(menu, callback_url=receiver.url)
    order.cancel_at_once(by="api", now=timezone.now())
    assert notify_callback_task(order.pk) == "try 1 of 8: delivered"
    [notice] = receiver.requests()
    assert notice.json()["status"] == "cancelled"
    assert notice.json()["final_at"] == order.cancelled_at.isoformat()

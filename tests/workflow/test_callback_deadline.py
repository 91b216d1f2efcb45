"""No callback by the deadline: the app asks the shop, then resubmits under the same key."""

import pytest
from django.utils import timezone
from django_q.models import Schedule

from orders.models import Order, OrderStatus
from workflow.callbacks import check_callback_deadline
from ..task_paths import STORE_ORDER_TASK
from workflow.retry_policy import RetryPolicy
from workflow.shop_client import ShopClient
from workflow.attempt import shop_payload

from ..factories import make_order

pytestmark = pytest.mark.django_db
POLICY = RetryPolicy(max_attempts=3, base_delay_s=1, max_delay_s=5, jitter=0)


def overdue_order(menu, **fields) -> Order:
    order = make_order(menu, **fields)
    order.begin_attempt(now=timezone.now())
    order.await_callback(until=timezone.now() - timezone.timedelta(seconds=1))
    return order


def test_if_the_shop_has_accepted_it_the_order_is_confirmed_without_the_callback(menu, shop, shop_client):
    order = overdue_order(menu)
    receipt = shop_client.place_order(shop_payload(order), idempotency_key=str(order.idempotency_key))
    assert check_callback_deadline(order.pk, client=shop_client, policy=POLICY) == "confirmed by asking"
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.shop_order_id == receipt.shop_order_id


def test_if_the_shop_does_not_have_it_the_order_is_resubmitted_under_the_same_key(menu, shop, shop_client):
    order = overdue_order(menu)
    assert check_callback_deadline(order.pk, client=shop_client, policy=POLICY) == "resubmitting"
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_RETRY
    assert Schedule.objects.filter(func=STORE_ORDER_TASK).count() == 1


def test_with_no_attempts_left_the_order_fails(menu, shop, shop_client):
    order = overdue_order(menu, attempt_limit=1)
    check_callback_deadline(order.pk, client=shop_client, policy=POLICY)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FAILED


def test_an_unreachable_shop_counts_as_no_answer(menu, db):
    order = overdue_order(menu)
    nowhere = ShopClient("http://127.0.0.1:9", connect_timeout_s=1, read_timeout_s=1)
    assert check_callback_deadline(order.pk, client=nowhere, policy=POLICY) == "resubmitting"
    assert "could not ask the shop" in order.events.last().engine_did


def test_a_deadline_that_is_not_due_or_already_met_does_nothing(menu, shop, shop_client):
    order = make_order(menu)
    order.begin_attempt(now=timezone.now())
    order.await_callback(until=timezone.now() + timezone.timedelta(seconds=60))
    assert check_callback_deadline(order.pk, client=shop_client, policy=POLICY) == "not due yet"
    order.confirm(shop_order_id="SHOP-1", now=timezone.now())
    assert check_callback_deadline(order.pk, client=shop_client, policy=POLICY) == "nothing to do"


def test_a_shop_still_deciding_is_waited_for_without_using_an_attempt(menu, shop, shop_client, settings):
    shop.configure(mode="callback", latency_s=30)
    order = overdue_order(menu, attempt_limit=1)
    payload = {**shop_payload(order), "callback_url": "http://127.0.0.1:9/webhooks/shop"}
    assert shop_client.place_order(payload, idempotency_key=str(order.idempotency_key)).is_acknowledgement
    before = timezone.now()

    assert check_callback_deadline(order.pk, client=shop_client, policy=POLICY) == "waiting longer"
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_CALLBACK and order.attempts_made == 1
    assert order.callback_deadline_at >= before + timezone.timedelta(seconds=settings.SHOP_CALLBACK_DEADLINE_S - 1)


def test_the_deadlines_question_to_the_shop_waits_as_long_as_the_live_policy_says(menu, shop, shop_client):
    """The policy's shop timeout is the timeout of every call to the shop; the look-up at the deadline
    used the environment's SHOP_TIMEOUT_S instead (a slow shop in callback mode looked unreachable)."""
    from workflow.engine_policy import set_policy

    class RecordingClient(ShopClient):
        timeouts = []

        def look_up(self, idempotency_key, *, timeout_s=None):
            self.timeouts.append(timeout_s)
            return super().look_up(idempotency_key, timeout_s=timeout_s)

    set_policy(shop_timeout_s=4.5)
    order = overdue_order(menu)
    client = RecordingClient(shop_client.base_url, connect_timeout_s=1, read_timeout_s=3)
    assert check_callback_deadline(order.pk, client=client) == "resubmitting"
    assert RecordingClient.timeouts == [4.5]

"""Cancellation in each state, against the real shop simulator over HTTP (its cancel endpoint and
cancel_window_s), with the store step and the compensating call called directly as the workers would."""

import threading

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from workflow.mail import send_status_email
from orders.models import Order, OrderStatus
from workflow.cancellation import NotCancellable, cancel_at_shop, request_cancellation
from ..task_paths import COMPENSATION_TASK, SEND_STATUS_EMAIL_TASK
from workflow.models import AttemptOutcome
from workflow.retry_policy import RetryPolicy
from workflow.attempt import store_order

from ..factories import make_order
from ..support.waiting import wait_until

pytestmark = pytest.mark.django_db
POLICY = RetryPolicy(max_attempts=3, base_delay_s=5, max_delay_s=60, jitter=0)


def queued(func):
    return [job["args"] for job in (SignedPackage.loads(row.payload) for row in OrmQ.objects.all()) if job["func"] == func]


def shop_status(shop, order) -> str | None:
    entries = [e for e in shop.ledger() if e["idempotency_key"] == str(order.idempotency_key)]
    return entries[0]["status"] if entries else None


def test_a_received_order_is_cancelled_at_once_and_never_sent(menu, shop, shop_client, smtp):
    order = make_order(menu, customer_email="mistake@example.com")
    order = request_cancellation(order.pk, by="customer")
    assert order.status == OrderStatus.CANCELLED
    # The store-order job queued with the order finds it final and does nothing.
    assert store_order(order.pk, client=shop_client, policy=POLICY) is None
    assert shop.ledger() == []
    assert queued(SEND_STATUS_EMAIL_TASK) == [(order.pk, "cancelled")]
    assert send_status_email(order.pk, "cancelled") is True
    [mail] = smtp.messages_to("mistake@example.com")
    assert "cancelled" in mail["Subject"]
    assert "It had not reached the shop yet" in mail.get_body(preferencelist=("plain",)).get_content()


def test_waiting_to_retry_after_the_shop_refused_at_the_door_is_cancelled_at_once(menu, shop, shop_client):
    shop.configure(down=True)  # 503 at once: nothing placed
    order = make_order(menu)
    store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_RETRY and not order.may_be_at_shop
    assert request_cancellation(order.pk, by="customer").status == OrderStatus.CANCELLED
    shop.configure(down=False)
    # The scheduled retry comes due: nothing is sent.
    Order.objects.filter(pk=order.pk).update(next_attempt_at=timezone.now())
    assert store_order(order.pk, client=shop_client, policy=POLICY) is None
    assert shop.ledger() == []


def test_waiting_to_retry_after_a_lost_answer_is_cancelled_at_the_shop(menu, shop, shop_client):
    shop.configure(lost_response_rate=1.0)  # the shop takes it, the answer is lost
    order = make_order(menu)
    store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_RETRY and order.may_be_at_shop
    shop.configure(lost_response_rate=0.0)
    assert shop_status(shop, order) == "accepted"
    assert request_cancellation(order.pk, by="customer").status == OrderStatus.CANCELLING
    assert queued(COMPENSATION_TASK) == [(order.pk,)]
    assert cancel_at_shop(order.pk, client=shop_client, policy=POLICY) == "cancelled"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert shop_status(shop, order) == "cancelled"


def test_a_confirmed_order_inside_the_window_is_cancelled_at_the_shop(menu, shop, shop_client, smtp):
    shop.configure(cancel_window_s=300)
    order = make_order(menu, customer_email="changed-mind@example.com")
    store_order(order.pk, client=shop_client, policy=POLICY)
    assert request_cancellation(order.pk, by="customer").status == OrderStatus.CANCELLING
    assert cancel_at_shop(order.pk, client=shop_client, policy=POLICY) == "cancelled"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and shop_status(shop, order) == "cancelled"
    assert send_status_email(order.pk, "cancelled") is True
    text = smtp.messages_to("changed-mind@example.com")[0].get_body(preferencelist=("plain",)).get_content()
    assert "The shop had it, and has confirmed it will not make it" in text


def test_a_confirmed_order_past_the_window_stays_confirmed_and_the_customer_is_told(client, menu, shop, shop_client, smtp):
    shop.configure(cancel_window_s=0)
    order = make_order(menu, customer_email="too-late@example.com")
    store_order(order.pk, client=shop_client, policy=POLICY)
    request_cancellation(order.pk, by="customer")
    assert cancel_at_shop(order.pk, client=shop_client, policy=POLICY) == "too late"
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and "already in the oven" in order.cancel_refused_reason
    assert shop_status(shop, order) == "accepted"
    assert (order.pk, "too_late") in queued(SEND_STATUS_EMAIL_TASK)
    assert send_status_email(order.pk, "too_late") is True
    [mail] = smtp.messages_to("too-late@example.com")
    assert "Too late to cancel" in mail["Subject"]
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Too late to cancel" in page and "stays confirmed" in page
    assert "Cancel this order" not in page
    with pytest.raises(NotCancellable, match="Too late"):
        request_cancellation(order.pk, by="customer")


def test_an_order_awaiting_the_shops_callback_is_cancelled_at_the_shop(menu, shop, shop_client):
    shop.configure(mode="callback", latency_s=30)  # acknowledged now, decided in 30 s
    order = make_order(menu)
    store_order(order.pk, client=shop_client, policy=POLICY)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_CALLBACK
    assert shop_status(shop, order) == "pending"
    request_cancellation(order.pk, by="api")
    assert cancel_at_shop(order.pk, client=shop_client, policy=POLICY) == "cancelled"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert shop_status(shop, order) == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_an_attempt_in_flight_does_not_override_the_cancellation(menu, shop, shop_client):
    shop.configure(latency_s=1.5, cancel_window_s=300)
    order = make_order(menu)
    worker = threading.Thread(target=store_order, args=(order.pk,), kwargs={"client": shop_client, "policy": POLICY})
    worker.start()
    deadline = timezone.now() + timezone.timedelta(seconds=5)
    while Order.objects.get(pk=order.pk).status != OrderStatus.SENDING and timezone.now() < deadline:
        pass
    assert request_cancellation(order.pk, by="customer").status == OrderStatus.CANCELLING
    # The compensating call waits for the attempt in flight, on a one-off schedule (no worker held).
    assert cancel_at_shop(order.pk, client=shop_client, policy=POLICY) == "waiting for the attempt in flight"
    assert Schedule.objects.filter(func=COMPENSATION_TASK).exists()
    worker.join(timeout=10)
    attempt = order.attempts.get()
    assert attempt.outcome == AttemptOutcome.ACCEPTED and "settled while this call was in flight" in attempt.error
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLING  # the attempt did not confirm it
    # The attempt, once over, queued the compensating call (the execution table says so).
    assert order.events.filter(kind="cancel_requested", engine_did__contains="is queued now").exists()
    # The compensating call: made here, or by the suite's worker cluster if it got there first (it shares
    # the database); either way exactly one cancellation reaches the shop, after the order did.
    cancel_at_shop(order.pk, client=shop_client, policy=POLICY)
    wait_until(lambda: Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED, timeout=10, message="cancelled")
    assert shop_status(shop, order) == "cancelled"


def test_the_compensating_call_is_retried_with_backoff_while_the_shop_is_down(menu, shop, shop_client):
    order = make_order(menu)
    store_order(order.pk, client=shop_client, policy=POLICY)
    request_cancellation(order.pk, by="admin")
    shop.configure(down=True)
    before = timezone.now()
    assert cancel_at_shop(order.pk, client=shop_client, policy=POLICY).startswith("try 1 failed")
    [schedule] = Schedule.objects.filter(func=COMPENSATION_TASK)
    assert (schedule.next_run - before).total_seconds() >= 5  # POLICY's first delay
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLING and order.cancel_tries == 1
    shop.configure(down=False)
    assert cancel_at_shop(order.pk, client=shop_client, policy=POLICY) == "cancelled"


def test_asking_twice_changes_nothing_and_a_failed_order_cannot_be_cancelled(menu, shop, shop_client):
    order = make_order(menu)
    store_order(order.pk, client=shop_client, policy=POLICY)
    request_cancellation(order.pk, by="customer")
    assert request_cancellation(order.pk, by="customer").status == OrderStatus.CANCELLING
    assert len(queued(COMPENSATION_TASK)) == 1
    failed = make_order(menu)
    failed.begin_attempt(now=timezone.now())
    failed.fail(reason="the shop refused the order", now=timezone.now())
    with pytest.raises(NotCancellable, match="failed"):
        request_cancellation(failed.pk, by="customer")


def test_a_cancellation_whose_compensating_call_went_quiet_is_asked_again_by_the_sweep(menu, shop, shop_client):
    from workflow.recovery import requeue_stalled_orders

    order = make_order(menu)
    store_order(order.pk, client=shop_client, policy=POLICY)
    request_cancellation(order.pk, by="customer")
    OrmQ.objects.all().delete()  # the compensating call's job is lost
    assert requeue_stalled_orders() == 0  # not quiet yet
    assert requeue_stalled_orders(now=timezone.now() + timezone.timedelta(minutes=4)) == 1
    assert queued(COMPENSATION_TASK) == [(order.pk,)]

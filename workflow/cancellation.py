"""Cancellation, asked for by the customer, an API client or an admin, and its compensating call.

- The shop cannot hold the order yet (nothing sent, or every attempt certainly refused at the door: see
  Order.may_be_at_shop): the order is cancelled at once, and any queued or scheduled store-order job finds
  it final and does nothing.
- The shop may hold it (an attempt in flight, acknowledged, confirmed, or an answer lost): the order goes to
  `cancelling`, and `cancel_at_shop` asks the shop (`POST /orders/{idempotency_key}/cancel`), retried with the
  store step's backoff on one-off schedules (no worker waits). 200 or 404 (it never had it): `cancelled`.
  409 (past the shop's cancel window): it stays, or becomes, `confirmed`, and the customer is told it was too
  late. An attempt still in flight is waited for first (it records itself overtaken and queues this call),
  so the cancellation cannot reach the shop before the order does.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst

from core.queue import enqueue_task, schedule_once, task_group
from core.timeouts import stale_after
from orders.models import ConcurrentTransition, Order, OrderStatus
from orders.signals import order_finalised

from .engine_policy import current_retry_policy
from .events import record_event
from .models import AttemptOutcome, EventKind
from .retry_policy import RetryPolicy
from .shop_client import ShopClient, ShopUnavailable, default_shop_client
from .shop_lookup import ask_the_shop

logger = logging.getLogger(__name__)

# How soon the compensating call looks again while an attempt is still in flight.
IN_FLIGHT_RECHECK_S = 1.0
WHO = {"customer": "The customer", "api": "The API client", "admin": "An admin"}


class NotCancellable(Exception):
    """The order cannot be cancelled (failed, or too late); the message says why, for the customer."""


def request_cancellation(order_id: int, *, by: str) -> Order:
    """Cancel at once, or start cancelling at the shop; returns the order as it is now. Asking again for an
    order that is cancelled or cancelling changes nothing. Raises NotCancellable."""
    for _ in range(3):  # a worker may move the order between our read and our write: read again
        now = timezone.now()
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.is_cancelled_or_cancelling:
                return order
            if reason := order.why_not_cancellable:
                raise NotCancellable(f"{capfirst(reason)}.")
            try:
                if order.can_cancel_at_once:
                    _cancel_at_once(order, by=by, now=now)
                else:
                    _begin_cancelling(order, by=by, now=now)
            except ConcurrentTransition:
                continue
            return order
    raise NotCancellable("The order is changing right now: please try again in a moment.")


def _cancel_at_once(order: Order, *, by: str, now) -> None:
    order.cancel_at_once(by=by, now=now)
    order_finalised.send(sender=Order, order=order)
    record_event(
        order, EventKind.CANCELLED, at=now,
        customer="Status page: cancelled. No call to the shop was needed.",
        engine=f"{WHO[by]} cancelled the order before the shop could hold it: no attempt will follow.",
        database="Committed: order 'cancelled', cancellation email job; any store-order job left finds it final.",
    )


def _begin_cancelling(order: Order, *, by: str, now) -> None:
    was = order.get_status_display().lower()
    order.begin_cancelling(by=by, now=now)
    enqueue_compensation(order)
    record_event(
        order, EventKind.CANCEL_REQUESTED, at=now,
        customer="Status page: cancelling; we are asking the shop.",
        engine=f"{WHO[by]} asked to cancel the order ({was}): the shop may hold it, so a compensating call asks it to cancel.",
        database="Committed: order 'cancelling', the compensating call's job.",
    )


def cancel_at_shop(order_id: int, *, client: ShopClient | None = None, policy: RetryPolicy | None = None) -> str:
    """The compensating call of one cancelling order: one try, then the outcome or the next try scheduled."""
    policy = policy or current_retry_policy()
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.CANCELLING:
        return "nothing to do"
    now = timezone.now()
    if _attempt_in_flight(order, now):
        with transaction.atomic():
            schedule_compensation(order, at=now + timedelta(seconds=IN_FLIGHT_RECHECK_S))
        return "waiting for the attempt in flight"
    client = client or default_shop_client()
    try:
        answer = client.cancel(str(order.idempotency_key))
        shop_order_id = answer.shop_order_id or order.shop_order_id
        if answer.state == "too_late" and not shop_order_id:
            shop_order_id = ask_the_shop(order, client).shop_order_id
    except ShopUnavailable as error:
        return _try_again_later(order_id, error, policy)
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.CANCELLING:
            return "the order moved on meanwhile"
        if answer.state in ("cancelled", "unknown"):
            order.cancelled_at_shop(now=now)
            order_finalised.send(sender=Order, order=order)
            said = "cancelled it" if answer.state == "cancelled" else "never had it (404)"
            record_event(
                order, EventKind.CANCELLED, at=now,
                customer="Status page: cancelled. An email says so.",
                engine=f"Compensating call {order.cancel_tries + 1}: the shop {said}.",
                database="Committed: order 'cancelled', cancellation email job.",
            )
            return "cancelled"
        order.cancel_refused(reason=answer.detail, shop_order_id=shop_order_id, now=now)
        order_finalised.send(sender=Order, order=order)
        record_event(
            order, EventKind.CANCEL_REFUSED, at=now,
            customer="Status page: too late to cancel; the order stays confirmed. An email says so.",
            engine=f"Compensating call {order.cancel_tries + 1}: the shop answered 409 ({answer.detail}).",
            database="Committed: order 'confirmed' with the refusal's reason, too-late email job.",
        )
        return "too late"


def _attempt_in_flight(order: Order, now) -> bool:
    """An attempt still running (not stale) must finish first; a stale one is marked interrupted."""
    running = order.attempts.filter(outcome=AttemptOutcome.IN_PROGRESS)
    for attempt in running:
        if attempt.started_at > now - stale_after(attempt.task_timeout_s):
            return True
        attempt.finish(outcome=AttemptOutcome.INTERRUPTED, now=now, error="the worker running it was lost")
    return False


def _try_again_later(order_id: int, error: ShopUnavailable, policy: RetryPolicy) -> str:
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.CANCELLING:
            return "the order moved on meanwhile"
        order.count_cancel_try()
        if order.cancel_tries >= policy.max_attempts:
            # Not forever from here: the reconciliation sweep asks again every minute while it is cancelling.
            record_event(
                order, EventKind.CANCEL_REQUESTED, at=now,
                customer="Status page: still cancelling; we keep asking the shop.",
                engine=f"Compensating call {order.cancel_tries} failed ({error}); out of tries, the reconciliation sweep takes over.",
                database="Committed: the try counted; no schedule (the sweep finds cancelling orders).",
            )
            return "out of tries; the sweep takes over"
        delay = policy.delay_after(order.cancel_tries)
        schedule_compensation(order, at=now + timedelta(seconds=delay))
        record_event(
            order, EventKind.CANCEL_REQUESTED, at=now,
            customer="Status page: cancelling; we keep asking the shop.",
            engine=f"Compensating call {order.cancel_tries} failed ({error}); the next in {delay:.1f} s.",
            database="Committed: the try counted, the next one scheduled.",
        )
    logger.info("order %s: compensating call %s failed: %s", order.short_id, order.cancel_tries, error)
    return f"try {order.cancel_tries} failed; next in {delay:.1f} s"


# --- The compensation's task and how it is queued -------------------------------------------------------

def cancel_at_shop_task(order_id: int) -> str:
    return cancel_at_shop(order_id)


def enqueue_compensation(order: Order) -> None:
    """The compensating call of a cancellation (cancel_at_shop)."""
    enqueue_task(cancel_at_shop_task, order)


def schedule_compensation(order: Order, *, at) -> None:
    schedule_once(cancel_at_shop_task, order.pk, at=at, name=f"cancel at shop {order.public_id} try {order.cancel_tries + 1}",
                  group=task_group(order))

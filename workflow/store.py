"""The store-order step: one attempt to place an order at the shop, and what follows from its outcome.

Each attempt is three short transactions with the HTTP call outside all of them:

1. claim: move the order to `sending` and record attempt n (a compare-and-set, so a duplicate run of the
   same job finds nothing to do);
2. the call to the shop, under the order's idempotency key;
3. the outcome: confirm (and queue the final jobs), or wait for the shop's callback (a 202), or schedule
   the next attempt, or, out of attempts, ask the shop what it holds and confirm, wait, or fail.

If the process dies between 1 and 3, the attempt stays `in_progress`; once it is older than any live
attempt could be, the next run of the job (django-q2 re-delivers it, or the stalled-order sweep queues it)
marks it interrupted and tries again under the same key, which the shop answers without a second order.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.models import ConcurrentTransition, IllegalTransition, Order, OrderStatus

from .diagnostics import attempt_details, shop_error_details
from .events import record_event
from .jobs import enqueue_final_jobs, enqueue_store_order, schedule_callback_deadline, schedule_store_order
from .models import AttemptOutcome, EventKind, StoreAttempt
from .retry_policy import RetryPolicy
from .shop_client import ShopClient, ShopReceipt, ShopRejected, ShopUnavailable, default_shop_client

logger = logging.getLogger(__name__)


def stale_after() -> timedelta:
    """An attempt older than this cannot still be running: django-q2 kills a task at its timeout."""
    return timedelta(seconds=settings.Q_TASK_TIMEOUT_S)


def shop_payload(order: Order) -> dict:
    return {
        "reference": str(order.public_id),
        "items": [{"pizza": order.pizza.slug, "size": order.size, "quantity": order.quantity}],
        "customer": {"name": order.customer_name, "address": order.delivery_address},
        "total": str(order.total_price),
        # Used by the shop only in its callback mode; harmless otherwise.
        "callback_url": settings.SHOP_CALLBACK_URL,
    }


def store_order(
    order_id: int, *, client: ShopClient | None = None, policy: RetryPolicy | None = None
) -> StoreAttempt | None:
    """Make the order's next attempt at the shop if one is due; returns it, or None if nothing was due."""
    policy = policy or RetryPolicy.from_settings()
    attempt = claim_attempt(order_id)
    if attempt is None:
        return None
    order = attempt.order
    try:
        receipt = (client or default_shop_client()).place_order(
            shop_payload(order), idempotency_key=str(order.idempotency_key)
        )
    except ShopRejected as error:
        seen = (AttemptOutcome.REJECTED, error.http_status, str(error), shop_error_details(error))
        record = partial(record_rejection, attempt, error)
    except Exception as error:  # ShopUnavailable, or a bug of ours: kept with its traceback, retried within the budget
        error = error if isinstance(error, ShopUnavailable) else ShopUnavailable.unexpected(error)
        seen = (AttemptOutcome.TRANSIENT_ERROR, error.http_status, str(error), shop_error_details(error))
        record = partial(record_transient_failure, attempt, error, policy=policy, client=client)
    else:
        seen = (AttemptOutcome.ACKNOWLEDGED if receipt.is_acknowledgement else AttemptOutcome.ACCEPTED, receipt.http_status, "",
                attempt_details(body=receipt.body))
        record = partial(record_acknowledgement if receipt.is_acknowledgement else record_acceptance, attempt, receipt)
    try:
        record()
    except (ConcurrentTransition, IllegalTransition):
        _record_overtaken(attempt, *seen)
    return attempt


def _record_overtaken(attempt: StoreAttempt, outcome: str, http_status: int | None, error: str, details: dict) -> None:
    """The order was settled while this attempt's call was in flight (the shop's callback confirmed it):
    keep what the attempt saw, and leave the order as it is."""
    attempt.refresh_from_db()  # its own transaction rolled back: still in progress in the database
    note = "the order was settled while this call was in flight; nothing changed"
    with transaction.atomic():
        attempt.finish(
            outcome=outcome, now=timezone.now(), http_status=http_status, error=f"{error}; {note}" if error else note,
            details=details,
        )
    logger.info("order %s: attempt %s overtaken (%s)", attempt.order.short_id, attempt.number, outcome)


def claim_attempt(order_id: int) -> StoreAttempt | None:
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("pizza").filter(pk=order_id).first()
        if order is None:
            logger.warning("store_order: order %s does not exist", order_id)
            return None
        if order.status == OrderStatus.SENDING:
            if not _take_over_stale_attempt(order, now):
                return None
            due_at = now
        elif order.status == OrderStatus.WAITING_RETRY:
            if order.next_attempt_at and order.next_attempt_at > now:
                logger.info("store_order: order %s is not due until %s", order.short_id, order.next_attempt_at)
                return None
            due_at = order.next_attempt_at or now
        elif order.status == OrderStatus.RECEIVED:
            due_at = order.updated_at  # placed, or reopened by an admin
        else:
            return None  # final: a late duplicate of a job that already finished its work
        try:
            number = order.begin_attempt(now=now)
        except ConcurrentTransition:
            return None
        attempt = StoreAttempt.objects.create(order=order, number=number, due_at=min(due_at, now), started_at=now)
        waited = attempt.queue_delay_ms
        record_event(
            order,
            EventKind.ATTEMPT_STARTED,
            at=now,
            customer=f"Status page: sending to the shop, attempt {number} of {order.attempt_limit}.",
            engine=f"A worker picked up the store-order job ({waited} ms after it was due) and claimed attempt {number}.",
            database=f"Committed: order 'sending', attempt {number} in progress.",
        )
        return attempt


def _take_over_stale_attempt(order: Order, now) -> bool:
    """Finish an attempt whose worker is gone; True if a new attempt may follow."""
    current = order.attempts.filter(number=order.attempts_made).first()
    if current is not None and current.outcome == AttemptOutcome.IN_PROGRESS:
        if current.started_at > now - stale_after():
            return False  # still running in another worker: leave it alone
        current.finish(outcome=AttemptOutcome.INTERRUPTED, now=now, error="the worker running it was lost")
    record_event(
        order,
        EventKind.INTERRUPTED,
        at=now,
        customer="Status page: still sending (nothing to see).",
        engine=f"Attempt {order.attempts_made} never finished: its worker was lost. The job came back.",
        database=f"Attempt {order.attempts_made} marked interrupted (the shop's idempotency key makes a repeat safe).",
    )
    if order.attempts_left > 0:
        return True
    # Out of attempts, but the lost one may have reached the shop: ask it now, as at a callback deadline
    # (the check runs outside this transaction), and decide from its answer.
    _await_the_shop(order, now=now, for_s=0)
    return False


def record_acceptance(attempt: StoreAttempt, receipt: ShopReceipt) -> None:
    now = timezone.now()
    with transaction.atomic():
        _confirm(attempt, receipt, now=now)
    logger.info("order %s confirmed as %s on attempt %s", attempt.order.short_id, receipt.shop_order_id, attempt.number)


def _confirm(attempt: StoreAttempt, receipt: ShopReceipt, *, now) -> None:
    attempt.finish(outcome=AttemptOutcome.ACCEPTED, now=now, http_status=receipt.http_status, details=attempt_details(body=receipt.body))
    repeat = " (it had the order already: an earlier answer was lost)" if receipt.was_repeat else ""
    confirm_order(
        attempt.order, shop_order_id=receipt.shop_order_id, now=now, duration_ms=attempt.duration_ms,
        engine=f"Attempt {attempt.number}: the shop answered {receipt.http_status}{repeat}.",
        database="Committed: attempt accepted, order 'confirmed', confirmation email job.",
    )


def confirm_order(
    order: Order, *, shop_order_id: str, now, engine: str, kind: str = EventKind.CONFIRMED,
    database: str = "Committed: order 'confirmed', confirmation email job.", duration_ms: int | None = None,
) -> None:
    """Inside the caller's transaction: the order is confirmed, its final jobs queued, the event recorded.
    Every way to a confirmation (the shop's answer, its callback, asking it) ends here."""
    order.confirm(shop_order_id=shop_order_id, now=now)
    enqueue_final_jobs(order)
    record_event(
        order, kind, at=now, duration_ms=duration_ms,
        customer=f"Status page: confirmed, shop reference {shop_order_id}.", engine=engine, database=database,
    )


def record_transient_failure(
    attempt: StoreAttempt, error: ShopUnavailable, *, policy: RetryPolicy, client: ShopClient | None = None
) -> None:
    # Out of attempts: before giving up, ask the shop what it holds (a lost answer may hide an acceptance).
    # Asked before the transaction: no lock is held while the shop takes its time.
    answer = ask_the_shop(attempt.order, client) if attempt.order.attempts_left == 0 else None
    now = timezone.now()
    with transaction.atomic():
        attempt.finish(outcome=AttemptOutcome.TRANSIENT_ERROR, now=now, http_status=error.http_status, error=str(error),
                       details=shop_error_details(error))
        fail_or_retry(
            attempt.order, now=now, policy=policy, duration_ms=attempt.duration_ms, shop=answer,
            engine=f"Attempt {attempt.number} failed ({error}).",
            give_up_reason=f"the shop could not be reached after {attempt.order.attempts_made} attempts",
        )


@dataclass(frozen=True)
class ShopAnswer:
    """What the shop says it holds under an order's idempotency key."""

    state: str  # accepted, pending, unknown (it has nothing), or unreachable
    shop_order_id: str = ""
    detail: str = ""

    def __str__(self):
        return {
            "accepted": f"the shop has accepted it ({self.shop_order_id})",
            "pending": "the shop has it and has not decided yet",
            "unknown": "the shop has no such order",
            "unreachable": f"the shop could not be asked ({self.detail})",
        }[self.state]


def ask_the_shop(order: Order, client: ShopClient | None = None) -> ShopAnswer:
    try:
        known = (client or default_shop_client()).look_up(str(order.idempotency_key))
    except ShopUnavailable as error:
        return ShopAnswer("unreachable", detail=str(error))
    if not known:
        return ShopAnswer("unknown")
    if known.get("status") == "pending":
        return ShopAnswer("pending")
    if known.get("shop_order_id"):
        return ShopAnswer("accepted", shop_order_id=known["shop_order_id"])
    return ShopAnswer("unknown", detail=f"an entry without a reference: {known}")


def fail_or_retry(
    order: Order, *, now, policy: RetryPolicy, engine: str, give_up_reason: str,
    shop: ShopAnswer | None = None, duration_ms: int | None = None,
) -> None:
    """Inside the caller's transaction: the next attempt if the budget allows; else what the shop said
    decides: accepted → confirmed, pending → wait for it, anything else → failed."""
    if order.attempts_left > 0:
        delay = policy.delay_after(order.attempts_made)
        at = now + timedelta(seconds=delay)
        order.wait_for_retry(at=at)
        schedule_store_order(order, at=at)
        record_event(
            order,
            EventKind.ATTEMPT_FAILED,
            at=now,
            duration_ms=duration_ms,
            customer=f"Status page: attempt {order.attempts_made} did not get through, next try in {delay:.1f} s.",
            engine=f"{engine} The worker is free again at once.",
            database=f"Committed: attempt {order.attempts_made} failed, order 'waiting_retry', next attempt scheduled.",
        )
        logger.info("order %s: %s Next attempt at %s", order.short_id, engine, at)
        return
    if shop is not None and shop.state == "accepted":
        confirm_order(order, shop_order_id=shop.shop_order_id, now=now,
                      engine=f"{engine} Out of attempts, the app asked first: {shop}.")
        return
    if shop is not None and shop.state == "pending":
        wait_for_the_shop(order, now=now, engine=f"{engine} Out of attempts, the app asked first: {shop}.")
        return
    asked = f" Out of attempts; asked first: {shop}." if shop is not None else ""
    # The customer reads the reason; the technical detail of each attempt stays on the attempt.
    _fail(order, reason=give_up_reason, now=now, engine=f"{engine}{asked}", duration_ms=duration_ms)
    logger.warning("order %s failed after %s attempts: %s%s", order.short_id, order.attempts_made, engine, asked)


def _await_the_shop(order: Order, *, now, for_s: float):
    """The wait state: the order waits for the shop's callback until `now + for_s`, when a check that asks
    the shop is scheduled. Holds no worker. Returns the deadline."""
    until = now + timedelta(seconds=for_s)
    order.await_callback(until=until)
    schedule_callback_deadline(order, at=until)
    return until


def wait_for_the_shop(order: Order, *, now, engine: str) -> None:
    """The shop has the order but no answer yet: wait for its callback (or ask again at the deadline)."""
    until = _await_the_shop(order, now=now, for_s=settings.SHOP_CALLBACK_DEADLINE_S)
    record_event(
        order, EventKind.CALLBACK_LATE, at=now,
        customer="Status page: the shop has the order and will confirm it.",
        engine=f"{engine} Waiting for it, without using an attempt.",
        database=f"Committed: order 'awaiting_callback' until {until:%H:%M:%S}, a deadline check scheduled.",
    )


def record_acknowledgement(attempt: StoreAttempt, receipt: ShopReceipt) -> None:
    """The shop took the order and will call back (workflow/callbacks.py): wait, with a deadline, holding no worker."""
    now = timezone.now()
    with transaction.atomic():
        attempt.finish(outcome=AttemptOutcome.ACKNOWLEDGED, now=now, http_status=receipt.http_status,
                       details=attempt_details(body=receipt.body))
        until = _await_the_shop(attempt.order, now=now, for_s=settings.SHOP_CALLBACK_DEADLINE_S)
        record_event(
            attempt.order,
            EventKind.ACKNOWLEDGED,
            at=now,
            duration_ms=attempt.duration_ms,
            customer="Status page: the shop has the order and will confirm it.",
            engine=f"Attempt {attempt.number}: the shop acknowledged (202, ticket {receipt.shop_order_id}); "
            "the worker is free, the process waits for the callback.",
            database=f"Committed: order 'awaiting_callback' until {until:%H:%M:%S}, a deadline check scheduled.",
        )


def record_rejection(attempt: StoreAttempt, error: ShopRejected) -> None:
    now = timezone.now()
    with transaction.atomic():
        attempt.finish(outcome=AttemptOutcome.REJECTED, now=now, http_status=error.http_status, error=str(error),
                       details=shop_error_details(error))
        _fail(attempt.order, reason=f"the shop refused the order (HTTP {error.http_status})", now=now,
              engine=f"Attempt {attempt.number}: the shop refused the order ({error}); no retry can mend that.",
              duration_ms=attempt.duration_ms)
    logger.warning("order %s rejected by the shop: %s", attempt.order.short_id, error)


def _fail(order: Order, *, reason: str, now, engine: str, duration_ms: int | None = None) -> None:
    order.fail(reason=reason, now=now)
    enqueue_final_jobs(order)
    record_event(
        order,
        EventKind.FAILED,
        at=now,
        duration_ms=duration_ms,
        customer=f"Status page: failed ({reason}).",
        engine=engine,
        database="Committed: order 'failed', failure email job.",
    )


def retry_failed_order(order: Order, *, policy: RetryPolicy | None = None) -> None:
    """An admin's retry: a fresh budget of attempts, and a job to start them, in one transaction."""
    policy = policy or RetryPolicy.from_settings()
    with transaction.atomic():
        order.reopen(extra_attempts=policy.max_attempts)
        enqueue_store_order(order)
        record_event(
            order,
            EventKind.RETRIED_BY_ADMIN,
            customer="Status page: received again, waiting for a worker.",
            engine=f"An admin retried the order with {policy.max_attempts} fresh attempts.",
            database="Committed: order 'received' with a new store-order job.",
        )


def store_in_request(order: Order, *, client: ShopClient | None = None) -> StoreAttempt:
    """The synchronous store-order step: one call to the shop, inside the caller's transaction.

    Raises ShopError when the shop does not take the order; the caller's transaction then rolls back and
    nothing is kept, as in the seed's engine. There is no retry: the customer decides whether to submit again.
    """
    now = timezone.now()
    number = order.begin_attempt(now=now)
    attempt = StoreAttempt.objects.create(order=order, number=number, due_at=now, started_at=now)
    receipt = (client or default_shop_client()).place_order(shop_payload(order), idempotency_key=str(order.idempotency_key))
    if receipt.is_acknowledgement:
        record_acknowledgement(attempt, receipt)  # synchronous execution, asynchronous integration
    else:
        _confirm(attempt, receipt, now=timezone.now())
    return attempt

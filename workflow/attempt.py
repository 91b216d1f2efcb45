"""One attempt to place an order at the shop: claim → call → record.

Each attempt is three short transactions with the HTTP call outside all of them:

1. claim: move the order to `sending` and record attempt n (a compare-and-set, so a duplicate run of the
   same job finds nothing to do);
2. the call to the shop, under the order's idempotency key (workflow.idempotency);
3. record what the attempt saw, and move the order on (workflow.outcomes): confirmed on an acceptance,
   awaiting_callback on an acknowledgement (202), failed on a refusal, and after a transient error the next
   attempt, or, out of attempts, what the shop says it holds decides.

If the process dies between 1 and 3, the attempt stays `in_progress`; once it is older than any live
attempt could be, the next run of the job (django-q2 re-delivers it, or the stalled-order sweep queues it)
marks it interrupted and tries again under the same key, which the shop answers without a second order.

`store_in_request` is the synchronous variant: one call, inside the request's own transaction.
"""

import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.queue import enqueue_task, schedule_once, task_group
from core.timeouts import stale_after
from orders.models import ConcurrentTransition, IllegalTransition, Order, OrderStatus

from .diagnostics import attempt_details, shop_error_details
from .engine_policy import current_policy, current_retry_policy, task_timeout_s
from .events import record_event
from .cancellation import enqueue_compensation
from .models import AttemptOutcome, EventKind, StoreAttempt
from .outcomes import await_callback, confirm_order, fail_order, retry_or_settle
from .retry_policy import RetryPolicy
from .shop_client import ShopClient, ShopReceipt, ShopRejected, ShopUnavailable, default_shop_client
from .shop_lookup import ask_the_shop

logger = logging.getLogger(__name__)


def shop_payload(order: Order) -> dict:
    return {
        "reference": str(order.public_id),
        "items": [{"pizza": order.pizza.slug, "size": order.size, "quantity": order.quantity}],
        "customer": {"name": order.customer_name, "address": order.delivery_address},
        "total": str(order.total_price),
        # Used by the shop only in its callback mode; harmless otherwise.
        "callback_url": settings.SHOP_CALLBACK_URL,
    }


def call_the_shop(order: Order, client: ShopClient | None = None, *, timeout_s: float | None = None) -> ShopReceipt:
    """`timeout_s`: the live policy's read timeout (None: the client's own)."""
    return (client or default_shop_client()).place_order(
        shop_payload(order), idempotency_key=str(order.idempotency_key), timeout_s=timeout_s
    )


# --- The asynchronous attempt ----------------------------------------------------------------------

def store_order(
    order_id: int, *, client: ShopClient | None = None, policy: RetryPolicy | None = None
) -> StoreAttempt | None:
    """Make the order's next attempt at the shop if one is due; returns it, or None if nothing was due."""
    policy = policy or current_retry_policy()
    attempt = claim_attempt(order_id, policy=policy)
    if attempt is None:
        return None
    try:
        receipt = call_the_shop(attempt.order, client, timeout_s=policy.shop_timeout_s)
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


def order_to_claim(order_id: int):
    """The order a claim locks until its transaction ends, with its pizza (the call to the shop names it).

    Only the order's row is locked (FOR UPDATE OF the order): a bare FOR UPDATE over the join would lock the
    pizza's row too, and every order placed meanwhile for that pizza checks its foreign key with a share
    lock on that row at its commit, so each claim stalled the form's commits behind it (bench.form_rush)."""
    return Order.objects.select_for_update(of=("self",)).select_related("pizza").filter(pk=order_id)


def claim_attempt(order_id: int, *, policy: RetryPolicy | None = None) -> StoreAttempt | None:
    policy = policy or current_retry_policy()
    now = timezone.now()
    with transaction.atomic():
        order = order_to_claim(order_id).first()
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
        attempt = StoreAttempt.objects.create(
            order=order, number=number, due_at=min(due_at, now), started_at=now,
            task_timeout_s=task_timeout_s(policy.call_timeout_s),
        )
        record_event(
            order,
            EventKind.ATTEMPT_STARTED,
            at=now,
            customer=f"Status page: sending to the shop, attempt {number} of {order.attempt_limit}.",
            engine=f"A worker picked up the store-order job ({attempt.queue_delay_ms} ms after it was due) and "
            f"claimed attempt {number}.",
            database=f"Committed: order 'sending', attempt {number} in progress.",
        )
        return attempt


def _take_over_stale_attempt(order: Order, now) -> bool:
    """Finish an attempt whose worker is gone; True if a new attempt may follow."""
    current = order.attempts.filter(number=order.attempts_made).first()
    if current is not None and current.outcome == AttemptOutcome.IN_PROGRESS:
        if current.started_at > now - stale_after(current.task_timeout_s):
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
    await_callback(order, now=now, for_s=0)
    return False


# --- Recording what an attempt saw: one transaction each (a savepoint within a synchronous request's) ---

def record_acceptance(attempt: StoreAttempt, receipt: ShopReceipt) -> None:
    now = timezone.now()
    repeat = " (it had the order already: an earlier answer was lost)" if receipt.was_repeat else ""
    with transaction.atomic():
        attempt.finish(outcome=AttemptOutcome.ACCEPTED, now=now, http_status=receipt.http_status,
                       details=attempt_details(body=receipt.body))
        confirm_order(
            attempt.order, shop_order_id=receipt.shop_order_id, now=now, duration_ms=attempt.duration_ms,
            engine=f"Attempt {attempt.number}: the shop answered {receipt.http_status}{repeat}.",
            database="Committed: attempt accepted, order 'confirmed', confirmation email job.",
        )
    logger.info("order %s confirmed as %s on attempt %s", attempt.order.short_id, receipt.shop_order_id, attempt.number)


def record_acknowledgement(attempt: StoreAttempt, receipt: ShopReceipt) -> None:
    """The shop took the order and will call back (workflow/callbacks.py): wait, with a deadline, holding no worker."""
    now = timezone.now()
    with transaction.atomic():
        attempt.finish(outcome=AttemptOutcome.ACKNOWLEDGED, now=now, http_status=receipt.http_status,
                       details=attempt_details(body=receipt.body))
        until = await_callback(attempt.order, now=now)
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


def record_transient_failure(
    attempt: StoreAttempt, error: ShopUnavailable, *, policy: RetryPolicy, client: ShopClient | None = None
) -> None:
    # Out of attempts: before giving up, ask the shop what it holds (a lost answer may hide an acceptance).
    # Asked before the transaction: no lock is held while the shop takes its time.
    last = attempt.order.attempts_left == 0
    answer = ask_the_shop(attempt.order, client, timeout_s=policy.shop_timeout_s) if last else None
    now = timezone.now()
    with transaction.atomic():
        attempt.finish(outcome=AttemptOutcome.TRANSIENT_ERROR, now=now, http_status=error.http_status, error=str(error),
                       details=shop_error_details(error))
        retry_or_settle(
            attempt.order, now=now, policy=policy, duration_ms=attempt.duration_ms, shop=answer,
            may_be_placed=error.may_be_placed, engine=f"Attempt {attempt.number} failed ({error}).",
            give_up_reason=f"the shop could not be reached after {attempt.order.attempts_made} attempts",
        )


def record_rejection(attempt: StoreAttempt, error: ShopRejected) -> None:
    now = timezone.now()
    with transaction.atomic():
        attempt.finish(outcome=AttemptOutcome.REJECTED, now=now, http_status=error.http_status, error=str(error),
                       details=shop_error_details(error))
        fail_order(attempt.order, reason=f"the shop refused the order (HTTP {error.http_status})", now=now,
                   engine=f"Attempt {attempt.number}: the shop refused the order ({error}); no retry can mend that.",
                   duration_ms=attempt.duration_ms)
    logger.warning("order %s rejected by the shop: %s", attempt.order.short_id, error)


def _record_overtaken(attempt: StoreAttempt, outcome: str, http_status: int | None, error: str, details: dict) -> None:
    """The order was settled while this attempt's call was in flight (the shop's callback confirmed it, or
    a cancellation was asked for): keep what the attempt saw, and leave the order as it is. A cancellation
    waits for this attempt, so its compensating call is queued now that the attempt is over."""
    attempt.refresh_from_db()  # its own transaction rolled back: still in progress in the database
    note = "the order was settled while this call was in flight; nothing changed"
    with transaction.atomic():
        attempt.finish(
            outcome=outcome, now=timezone.now(), http_status=http_status, error=f"{error}; {note}" if error else note,
            details=details,
        )
        order = Order.objects.get(pk=attempt.order_id)
        if order.status == OrderStatus.CANCELLING:
            enqueue_compensation(order)
            record_event(
                order, EventKind.CANCEL_REQUESTED,
                customer="Status page: cancelling; we are asking the shop.",
                engine=f"Attempt {attempt.number} ended ({outcome}) after the cancellation was asked for: it changed "
                "nothing, and the compensating call, which waited for it, is queued now.",
                database="Committed: the attempt overtaken, the compensating call's job.",
            )
    logger.info("order %s: attempt %s overtaken (%s)", attempt.order.short_id, attempt.number, outcome)


# --- The synchronous attempt -------------------------------------------------------------------------

def store_in_request(order: Order, *, client: ShopClient | None = None) -> StoreAttempt:
    """The synchronous store-order step: one call to the shop, inside the caller's transaction.

    Raises ShopError when the shop does not take the order; the caller's transaction then rolls back and
    nothing is kept. There is no retry: the customer decides whether to submit again, and the same request
    reaches the shop under the same key (workflow.idempotency), so a lost answer costs no second pizza.
    """
    now = timezone.now()
    number = order.begin_attempt(now=now)
    attempt = StoreAttempt.objects.create(order=order, number=number, due_at=now, started_at=now)
    receipt = call_the_shop(order, client, timeout_s=current_retry_policy().shop_timeout_s)
    if receipt.is_acknowledgement:
        record_acknowledgement(attempt, receipt)  # synchronous execution, asynchronous integration
    else:
        record_acceptance(attempt, receipt)
    return attempt


# --- The store step's task and how it is queued --------------------------------------------------------

def store_order_task(order_id: int, budget_s: int | None = None) -> str:
    """The django-q2 task. `budget_s`: the django-q2 timeout this task was queued with (None: Q_CLUSTER's,
    the largest)."""
    # One reading of the policy for both the budget check and the call: read twice, a longer shop timeout
    # set in between would run the call under a django-q2 timeout sized for the shorter one.
    policy = current_policy()
    if (requeued := requeue_with_longer_timeout(order_id, budget_s, needed_s=policy.task_timeout_s)) is not None:
        return requeued
    attempt = store_order(order_id, policy=policy.retry)
    return "nothing due" if attempt is None else f"attempt {attempt.number}: {attempt.outcome}"


def enqueue_store_order(order: Order, *, timeout: int | None = None) -> None:
    """`timeout`: the store task's timeout if the caller has the policy at hand (else read from it)."""
    timeout = timeout or store_task_timeout_s()
    enqueue_task(store_order_task, order, timeout=timeout, budget_s=timeout)


def schedule_store_order(order: Order, *, at) -> None:
    """Run the next attempt at `at` without holding a worker until then."""
    timeout = store_task_timeout_s()
    schedule_once(store_order_task, order.pk, at=at, name=f"store order {order.public_id} attempt {order.attempts_made + 1}",
                  group=task_group(order), timeout=timeout, budget_s=timeout)


def requeue_with_longer_timeout(order_id: int, budget_s: int | None, *, needed_s: int) -> str | None:
    """If the task timeout of the policy the task will run under (`needed_s`) has grown past what the
    store-order task was queued for (`budget_s`), queue the order's task again with the new timeout and say
    so; None if the task may run as it is."""
    if budget_s is None or budget_s >= needed_s:
        return None
    order = Order.objects.filter(pk=order_id).first()
    if order is not None:
        enqueue_store_order(order)
    return f"queued again with the policy's longer timeout ({needed_s} s, was {budget_s} s)"


def store_task_timeout_s() -> int:
    """The store-order task's own django-q2 timeout, from the live policy's shop timeout. The task gets it
    as `budget_s` too: if the policy has grown past it by the time the task runs, the task queues itself
    again with the new one (store_order_task) rather than call the shop with a timeout it may not outlive."""
    return current_policy().task_timeout_s

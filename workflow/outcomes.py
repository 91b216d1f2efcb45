"""Where an order goes after an attempt, a callback or a question to the shop: every move of the process
into its next state, each called inside the caller's transaction and named after the state it enters.

- `confirm_order`   → confirmed (sends `order_finalised`: the mail and any API notification follow)
- `fail_order`      → failed    (sends `order_finalised`)
- `wait_for_retry`  → waiting_retry: the next attempt is scheduled, no worker waits
- `await_callback`  → awaiting_callback: the shop will call back; a deadline check is scheduled
- `cancelled_by_shop` → cancelled: the shop changed its mind about an order it had accepted (its signed
  `order.cancelled` event, the reconciliation sweep, or its answer when asked); in workflow/shop_cancellation.py,
  which the sweep imports too
- `retry_or_settle`: after a failed attempt, the next attempt if the budget allows, else what the shop says
  it holds (workflow.shop_lookup) decides between confirmed, awaiting_callback and failed.
"""

import logging
from datetime import timedelta


from orders.models import SHOP_MAY_CANCEL, Order
from orders.signals import order_finalised

from .engine_policy import current_retry_policy
from .events import record_event
from .reconciliation import enqueue_orphan_cancellation
from .models import EventKind
from .retry_policy import RetryPolicy
from .shop_cancellation import cancelled_by_shop
from .shop_lookup import ShopAnswer, ShopHolds

logger = logging.getLogger(__name__)


def confirm_order(
    order: Order, *, shop_order_id: str, now, engine: str, kind: str = EventKind.CONFIRMED,
    database: str = "Committed: order 'confirmed', confirmation email job.", duration_ms: int | None = None,
) -> None:
    """The order is confirmed, what follows a final status is queued, the event recorded.
    Every way to a confirmation (the shop's answer, its callback, asking it) ends here."""
    order.confirm(shop_order_id=shop_order_id, now=now)
    order_finalised.send(sender=Order, order=order)
    record_event(
        order, kind, at=now, duration_ms=duration_ms,
        customer=f"Status page: confirmed, shop reference {shop_order_id}.", engine=engine, database=database,
    )


def fail_order(
    order: Order, *, reason: str, now, engine: str, duration_ms: int | None = None, may_be_placed: bool = False
) -> None:
    """The order failed; `reason` is for the customer, the technical detail stays on the attempts.
    `may_be_placed`: the last attempt's answer was lost, so the shop may hold it: it is cancelled there."""
    order.fail(reason=reason, now=now, may_have_reached=may_be_placed)
    order_finalised.send(sender=Order, order=order)
    if order.may_be_at_shop:
        # We do not stand behind it: if a lost answer hid an acceptance, the shop must not make it.
        enqueue_orphan_cancellation(order)
    record_event(
        order, EventKind.FAILED, at=now, duration_ms=duration_ms,
        customer=f"Status page: failed ({reason}).", engine=engine,
        database="Committed: order 'failed', failure email job.",
    )


def wait_for_retry(
    order: Order, *, now, policy: RetryPolicy, engine: str, duration_ms: int | None = None, may_be_placed: bool = True
) -> None:
    """The next attempt after the policy's backoff, as a one-off schedule: the worker is free at once.
    `may_be_placed`: whether the failed try may have placed the order (see ShopUnavailable); the status page
    promises to keep trying until the budget's last attempt (RetryPolicy.retrying_until)."""
    delay = policy.delay_after(order.attempts_made)
    at = now + timedelta(seconds=delay)
    order.wait_for_retry(at=at, may_have_reached=may_be_placed, until=policy.retrying_until(order, next_at=at))
    from .attempt import schedule_store_order  # the store step rescheduling itself (attempt imports us)

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


def await_callback(order: Order, *, now, for_s: float | None = None):
    """The order waits for the shop's callback until `now + for_s` (the live policy's callback deadline by
    default), when a check that asks the shop is scheduled. Holds no worker. Returns the deadline."""
    until = now + timedelta(seconds=current_retry_policy().wait_for_callback_s if for_s is None else for_s)
    order.await_callback(until=until)
    from .callbacks import schedule_callback_deadline  # the store step's wait (callbacks imports us)

    schedule_callback_deadline(order, at=until)
    return until


def settle_by_answer(order: Order, answer: ShopAnswer | None, *, now, engine: str) -> bool:
    """What the shop said it holds, where that decides: accepted → confirmed, pending → awaiting_callback,
    cancelled by the shop while we wait for its callback → cancelled. False when it does not decide (nothing
    there, or the shop could not be asked)."""
    if answer is not None and answer.holds == ShopHolds.ACCEPTED:
        confirm_order(order, shop_order_id=answer.shop_order_id, now=now, engine=engine)
        return True
    if answer is not None and answer.holds == ShopHolds.CANCELLED and order.status in SHOP_MAY_CANCEL:
        cancelled_by_shop(order, reason=answer.detail, now=now, how=f"{engine} The shop said so when asked")
        return True
    if answer is not None and answer.holds == ShopHolds.PENDING:
        until = await_callback(order, now=now)
        record_event(
            order, EventKind.CALLBACK_LATE, at=now,
            customer="Status page: the shop has the order and will confirm it.",
            engine=f"{engine} Waiting for it, without using an attempt.",
            database=f"Committed: order 'awaiting_callback' until {until:%H:%M:%S}, a deadline check scheduled.",
        )
        return True
    return False


def retry_or_settle(
    order: Order, *, now, policy: RetryPolicy, engine: str, give_up_reason: str,
    shop: ShopAnswer | None = None, duration_ms: int | None = None, may_be_placed: bool = True,
) -> None:
    """After a failed try: the next attempt if the budget allows; else what the shop said decides:
    accepted → confirmed, pending → awaiting_callback, anything else → failed."""
    if order.attempts_left > 0:
        wait_for_retry(order, now=now, policy=policy, engine=engine, duration_ms=duration_ms, may_be_placed=may_be_placed)
        return
    if settle_by_answer(order, shop, now=now, engine=f"{engine} Out of attempts, the app asked first: {shop}."):
        return
    asked = f" Out of attempts; asked first: {shop}." if shop is not None else ""
    # The shop could not be asked after a lost answer: it may hold the order (compensated in fail_order).
    unsure = may_be_placed and (shop is None or shop.holds == ShopHolds.UNREACHABLE)
    fail_order(order, reason=give_up_reason, now=now, engine=f"{engine}{asked}", duration_ms=duration_ms, may_be_placed=unsure)
    logger.warning("order %s failed after %s attempts: %s%s", order.short_id, order.attempts_made, engine, asked)

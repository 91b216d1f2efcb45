"""Starting the process, from every entry: the order form (through orders.process), the API, the trainer's
batch, an admin's retry. The only place an order is placed.

An order is committed in one transaction with either the job that will send it to the shop (asynchronous:
the answer depends on our database alone) or the shop's own answer (synchronous). Its shop key comes from
the client's key (workflow.idempotency), in this transaction: a retry of the same request after a lost
answer reaches the shop under the same key, in every mode.
"""

import time
from collections.abc import Callable

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from orders.menu import quote
from orders.models import Order, Pizza, StoreMode
from orders.process import OrderNotPlaced

from .attempt import enqueue_store_order, store_in_request
from .engine_policy import EnginePolicy, current_mode_and_policy, current_retry_policy
from .events import elapsed_ms, record_event
from .idempotency import Source, shop_key_for
from .models import CustomerWait, EventKind, WaitOutcome, current_store_mode
from .retry_policy import RetryPolicy
from .shop_client import ShopError


class ShopRefusedInRequest(OrderNotPlaced):
    """Synchronous mode: the shop clearly did not take the order (it answered with an error, or was not reached)."""


class ShopAnswerLost(ShopRefusedInRequest):
    """Synchronous mode: the order may have reached the shop, but its answer did not reach us."""


class TooBusy(OrderNotPlaced):
    """The database stayed locked past its busy timeout (a synchronous order holding it): try again."""


def place_order(
    *, pizza: Pizza, size: str, quantity: int, name: str, email: str, address: str, mode: str | None = None,
    callback_url: str = "", source: str = Source.FORM, client_key: str | None = None,
    in_same_transaction: Callable[[Order], object] | None = None,
    policy: EnginePolicy | None = None, when_placed: Callable[[Order], object] | None = None,
) -> Order:
    """Commit the order with its job (asynchronous) or the shop's answer (synchronous); returns it.

    `client_key` is the client's id for this request (the form's submission id, the API's Idempotency-Key).
    The same request again (a double click, a reload, a retry after an error) returns the order it made, or,
    if the first one was rolled back, reaches the shop under the same key. The same form id sent back with
    other content (Back, then changed) is a new order with a key of its own.
    `in_same_transaction(order)` runs right after the order is saved (the API records its key there); if it
    raises, nothing is kept. `when_placed(order)` runs last in the same transaction, once the order is
    queued or stored (not for an order returned because it was placed before). `policy`: the live policy,
    if the caller has read it already. Raises OrderNotPlaced if the synchronous call to the shop fails.
    """
    shop_key = shop_key_for(source, client_key)
    if client_key and (existing := Order.objects.filter(idempotency_key=shop_key).first()):
        if existing.line_and_customer == (pizza.pk, size, quantity, name, email, address):
            return existing
        shop_key = shop_key_for(source, None)
    if mode is None or policy is None:
        mode_now, policy_now = current_mode_and_policy()
        mode, policy = mode or mode_now, policy or policy_now
    unit_price, total_price = quote(pizza=pizza, size=size, quantity=quantity)
    order = Order(
        pizza=pizza, size=size, quantity=quantity, customer_name=name, customer_email=email,
        delivery_address=address, callback_url=callback_url, unit_price=unit_price, total_price=total_price,
        attempt_limit=policy.max_attempts, mode=mode, idempotency_key=shop_key,
    )
    # The fields' own rules only: the unique key, the check constraints and the menu item's existence are
    # the database's to enforce (race-free, and without a query each; the caller has just read the pizza).
    order.full_clean(exclude=["pizza"], validate_unique=False, validate_constraints=False)
    started = timezone.now()
    try:
        with transaction.atomic():
            order.save()
            if in_same_transaction is not None:
                in_same_transaction(order)
            if order.mode == StoreMode.SYNC:
                _store_now(order, started=started)
            else:
                _queue(order, started=started, timeout=policy.task_timeout_s)
            if when_placed is not None:
                when_placed(order)
    except IntegrityError:
        # The same request, placed by a concurrent one a moment earlier: that order is this one.
        if client_key and (existing := Order.objects.filter(idempotency_key=shop_key).first()):
            return existing
        raise
    except ShopError as error:
        raise _not_placed(error, retry_is_safe=bool(client_key)) from error
    except OperationalError as error:
        # SQLite's write lock, held by another request's synchronous shop call for longer than the busy
        # timeout: the cost of long transactions, shown to the customer instead of a 500.
        raise TooBusy("We are too busy to take your order right now. Nothing was ordered: please try again.") from error
    return order


def _not_placed(error: ShopError, *, retry_is_safe: bool) -> OrderNotPlaced:
    """What the customer is told when the synchronous call failed: the truth, as far as we know it."""
    if not error.may_be_placed:
        return ShopRefusedInRequest(
            f"The pizza shop did not take your order ({error}). Nothing was ordered and nothing was kept: "
            "you can submit it again."
        )
    again = (
        "Submitting the same order again is safe: it goes to the shop under the same key, so you will not get "
        "a second pizza." if retry_is_safe else
        "We kept nothing, and without the request's key a new submission may order a second pizza."
    )
    return ShopAnswerLost(f"We sent your order, but the pizza shop's answer was lost ({error}): the shop may have it. {again}")


def _queue(order: Order, *, started, timeout: int) -> None:
    enqueue_store_order(order, timeout=timeout)
    record_event(
        order, EventKind.PLACED, at=started, duration_ms=elapsed_ms(started),
        customer="Submitted the form and got the status page at once.",
        engine="Order form done; store order is asynchronous, so the process waits here for a worker.",
        database="Committed in one transaction: the order ('received') and its store-order job.",
    )


def _store_now(order: Order, *, started) -> None:
    attempt = store_in_request(order)
    record_event(
        order, EventKind.PLACED_SYNC, at=started, duration_ms=elapsed_ms(started),
        customer=f"Submitted the form and waited {attempt.duration_ms} ms for the shop before seeing the page.",
        engine="Order form, then store order in the same request and transaction (synchronous), then confirmation.",
        database=f"Committed in one transaction: the order ('{order.status}'), its attempt and what follows.",
    )


def submit_order(*, source: str = Source.FORM, **fields) -> Order:
    """Place an order as a customer does, and record how long they waited and what they saw: in the order's
    own transaction when it is placed (one commit), after it when nothing was kept (the wait still counts)."""
    mode, policy = current_mode_and_policy()  # one read of the settings row for the whole request
    started_at, started = timezone.now(), time.perf_counter()
    recorded = []  # the order whose wait was written in its transaction

    def record_accepted(order: Order) -> None:
        _record_wait(mode, source, started_at, started, WaitOutcome.ACCEPTED, order=order)
        recorded.append(order)

    try:
        order = place_order(mode=mode, policy=policy, source=source, when_placed=record_accepted, **fields)
    except OrderNotPlaced as error:
        _record_wait(mode, source, started_at, started, WaitOutcome.ERROR, error=str(error))
        raise
    if not recorded or recorded[-1] is not order:
        # The same submission again (its order placed before, or a moment ago by a concurrent request whose
        # transaction won): this customer's wait is recorded on its own.
        _record_wait(mode, source, started_at, started, WaitOutcome.ACCEPTED, order=order)
    return order


def _record_wait(mode, source, started_at, started, outcome, *, order=None, error="") -> CustomerWait:
    return CustomerWait.objects.create(
        mode=mode, source=source, started_at=started_at, duration_ms=round((time.perf_counter() - started) * 1000),
        outcome=outcome, error=error[:300], order=order,
    )


def retry_failed_order(order: Order, *, policy: RetryPolicy | None = None) -> None:
    """An admin's retry: a fresh budget of attempts, and a job to start them, in one transaction."""
    policy = policy or current_retry_policy()
    with transaction.atomic():
        order.reopen(extra_attempts=policy.max_attempts)
        enqueue_store_order(order)
        record_event(
            order, EventKind.RETRIED_BY_ADMIN,
            customer="Status page: received again, waiting for a worker.",
            engine=f"An admin retried the order with {policy.max_attempts} fresh attempts.",
            database="Committed: order 'received' with a new store-order job.",
        )


class WorkflowEntry:
    """The process as the order pages see it (orders.process.OrderProcess), registered in WorkflowConfig.ready()."""

    def store_mode(self) -> str:
        return current_store_mode()

    def submit(self, *, source: str, client_key: str | None, **fields) -> Order:
        return submit_order(source=source, client_key=client_key, **fields)

"""Writes on the customer's side. The form, the trainer's batch (and later the API) place orders only here."""

import time
import uuid
from collections.abc import Callable

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from workflow.events import elapsed_ms, record_event
from workflow.jobs import enqueue_store_order
from workflow.models import EventKind, current_store_mode
from workflow.engine_policy import current_retry_policy
from workflow.shop_client import ShopError
from workflow.store import store_in_request

from .models import CustomerWait, Order, Pizza, StoreMode, WaitOutcome


class OrderNotPlaced(Exception):
    """The order could not be taken and nothing was kept; the message is for the customer."""


class ShopRefusedInRequest(OrderNotPlaced):
    """Synchronous mode: the shop's call, made in the request, failed."""


class TooBusy(OrderNotPlaced):
    """The database stayed locked past its busy timeout (a synchronous order holding it): try again."""


def quote(*, pizza: Pizza, size: str, quantity: int):
    unit_price = pizza.price_for(size)
    return unit_price, unit_price * quantity


def place_order(
    *, pizza: Pizza, size: str, quantity: int, name: str, email: str, address: str, mode: str | None = None,
    callback_url: str = "", in_same_transaction: Callable[[Order], object] | None = None,
    submission: uuid.UUID | None = None,
) -> Order:
    """Commit the order, in one transaction with either the job that will send it to the shop
    (asynchronous: the answer depends on our database alone) or the shop's own answer (synchronous).

    Raises OrderNotPlaced if the synchronous call to the shop fails: the transaction rolls back.
    `in_same_transaction(order)` runs right after the order is saved, before its job is queued or the shop
    is called (the API records its idempotency key there); if it raises, nothing is kept.

    `submission` is the form's one-time id. It becomes the order's idempotency key, so the same submission
    twice (a double click, a reload, Back) returns the order it made the first time, and a synchronous
    order submitted again after a lost answer reaches the shop under the same key: no second pizza.
    """
    if submission is not None and (existing := Order.objects.filter(idempotency_key=submission).first()):
        if existing.line_and_customer == (pizza.pk, size, quantity, name, email, address):
            return existing
        submission = None  # the same form sent back with other content (Back, then changed): a new order
    unit_price, total_price = quote(pizza=pizza, size=size, quantity=quantity)
    order = Order(
        pizza=pizza,
        size=size,
        quantity=quantity,
        customer_name=name,
        customer_email=email,
        delivery_address=address,
        callback_url=callback_url,
        unit_price=unit_price,
        total_price=total_price,
        attempt_limit=current_retry_policy().max_attempts,
        mode=mode or current_store_mode(),
    )
    if submission is not None:
        order.idempotency_key = submission
    order.full_clean(validate_unique=False)  # the unique key is the database's to enforce, race-free
    started = timezone.now()
    try:
        with transaction.atomic():
            order.save()
            if in_same_transaction is not None:
                in_same_transaction(order)
            if order.mode == StoreMode.SYNC:
                _store_now(order, started=started)
            else:
                enqueue_store_order(order)
                record_event(
                    order,
                    EventKind.PLACED,
                    at=started,
                    duration_ms=elapsed_ms(started),
                    customer="Submitted the form and got the status page at once.",
                    engine="Order form done; store order is asynchronous, so the process waits here for a worker.",
                    database="Committed in one transaction: the order ('received') and its store-order job.",
                )
    except IntegrityError:
        # The same submission, placed by a concurrent request a moment earlier: that order is this one.
        if submission is not None and (existing := Order.objects.filter(idempotency_key=submission).first()):
            return existing
        raise
    except ShopError as error:
        raise ShopRefusedInRequest(
            f"The pizza shop did not take your order ({error}). Nothing was ordered and nothing was kept: "
            "you can submit the form again."
        ) from error
    except OperationalError as error:
        # SQLite's write lock, held by another request's synchronous shop call for longer than the busy
        # timeout: the cost of long transactions, shown to the customer instead of a 500.
        raise TooBusy("We are too busy to take your order right now. Nothing was ordered: please try again.") from error
    return order


def _store_now(order: Order, *, started) -> None:
    attempt = store_in_request(order)
    record_event(
        order,
        EventKind.PLACED_SYNC,
        at=started,
        duration_ms=elapsed_ms(started),
        customer=f"Submitted the form and waited {attempt.duration_ms} ms for the shop before seeing the page.",
        engine="Order form, then store order in the same request and transaction (synchronous), then confirmation.",
        database=f"Committed in one transaction: the order ('{order.status}'), its attempt and what follows.",
    )


def submit_order(*, source: str = "form", **fields) -> Order:
    """Place an order as a customer does, and record how long they waited and what they saw."""
    mode = current_store_mode()
    started_at, started = timezone.now(), time.perf_counter()
    try:
        order = place_order(mode=mode, **fields)
    except OrderNotPlaced as error:
        _record_wait(mode, source, started_at, started, WaitOutcome.ERROR, error=str(error))
        raise
    _record_wait(mode, source, started_at, started, WaitOutcome.ACCEPTED, order=order)
    return order


def _record_wait(mode, source, started_at, started, outcome, *, order=None, error=""):
    CustomerWait.objects.create(
        mode=mode,
        source=source,
        started_at=started_at,
        duration_ms=round((time.perf_counter() - started) * 1000),
        outcome=outcome,
        error=error[:300],
        order=order,
    )

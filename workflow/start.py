"""Starting the process, from every entry: the order form (through orders.process), the API, the trainer's
batch, an admin's retry. The only place an order is placed.

An order is committed in one transaction with either the job that will send it to the shop (asynchronous:
the answer depends on our database alone) or the shop's own answer (synchronous), and with the record of the
client's key (workflow.idempotency), from which its shop key comes: a repeat of the same request gets the
same order, and a retry after a lost answer reaches the shop under the same key, in every mode.
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
from .idempotency import (
    Placement, Source, record_placement, record_unanswered, request_fingerprint, resolve_key, shop_key_for,
)
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
    *, pizza: Pizza, size: str, quantity: int, name: str, email: str, address: str, callback_url: str = "",
    source: str = Source.FORM, client_key: str | None = None, request_hash: str | None = None,
    mode: str | None = None, policy: EnginePolicy | None = None, when_placed: Callable[[Order], object] | None = None,
) -> Placement:
    """Place one order: commit it with its job (asynchronous) or with the shop's answer (synchronous), and
    with its idempotency record, in one transaction. Returns Placement(order, replayed).

    Keyword-only, for every entry (the form, the API, batches, bulk imports):
    - `source`: who places it (workflow.models.Source); each has its rule for a reused key (workflow.idempotency).
    - `client_key`: the client's id for this request (the form's submission id, the API's Idempotency-Key, a
      bulk import's key per batch and row); None: no idempotency (a random shop key).
    - `request_hash`: a fingerprint of the request as the client sent it (the API: SHA-256 of its body);
      default: request_fingerprint() of the fields given.
    The same key with the same fingerprint again (a double click, a reload, a retry after an error) returns
    the order it placed (`replayed=True`), or, when the first was rolled back, reaches the shop under the same
    key. Another fingerprint: a new order for the form, IdempotencyKeyReused for the others.
    `mode`, `policy`: the store mode and live policy, if the caller has read them already. `when_placed(order)`
    runs last in the same transaction, for a new order only. Raises OrderNotPlaced if the synchronous call to
    the shop fails, IdempotencyKeyReused, or ValidationError for a field the model refuses.
    """
    fingerprint = request_hash or request_fingerprint({
        "pizza": pizza.slug, "size": size, "quantity": quantity, "name": name, "email": email, "address": address,
        "callback_url": callback_url,
    })
    # Most requests are new: the key's record is read only when placing under it conflicts (one round trip
    # less on every first request; a repeat pays a rolled-back insert instead).
    key, record = client_key or None, None
    for _ in range(3):  # more than once only after a conflict: a repeat, a lost answer's record, or the form's other content
        if record is not None and record.order is not None:
            return Placement(record.order, replayed=True)
        if mode is None or policy is None:
            mode_now, policy_now = current_mode_and_policy()
            mode, policy = mode or mode_now, policy or policy_now
        unit_price, total_price = quote(pizza=pizza, size=size, quantity=quantity)
        order = Order(
            pizza=pizza, size=size, quantity=quantity, customer_name=name, customer_email=email,
            delivery_address=address, callback_url=callback_url, unit_price=unit_price, total_price=total_price,
            attempt_limit=policy.max_attempts, mode=mode, idempotency_key=shop_key_for(source, key),
        )
        # The fields' own rules only: the unique keys, the check constraints and the menu item's existence are
        # the database's to enforce (race-free, and without a query each; the caller has just read the pizza).
        order.full_clean(exclude=["pizza"], validate_unique=False, validate_constraints=False)
        started = timezone.now()
        try:
            with transaction.atomic():
                order.save()
                if key:
                    record_placement(source, key, fingerprint, order, unanswered=record)
                if order.mode == StoreMode.SYNC:
                    _store_now(order, started=started)
                else:
                    _queue(order, started=started, timeout=policy.task_timeout_s)
                if when_placed is not None:
                    when_placed(order)
        except IntegrityError:
            # The key was used before (a repeat, or a concurrent request a moment earlier: the order's unique
            # shop key, or the record's): answer by the source's rule.
            if not key:
                raise
            key_now, record_now = resolve_key(source, client_key, fingerprint)
            if record_now is not None and (record_now.order is not None or record_now != record):
                key, record = key_now, record_now  # placed (replayed above), or a lost answer's record to complete
                continue
            if key_now == key:
                # Placed under this key before its record existed (by a release that kept none): the order's
                # own shop key says which request it was.
                earlier = Order.objects.filter(idempotency_key=shop_key_for(source, key)).first()
                if earlier is None:
                    raise
                return Placement(earlier, replayed=True)
            key, record = key_now, record_now  # the form: the other request took the id with its content
            continue
        except ShopError as error:
            if key and error.may_be_placed:
                record_unanswered(source, key, fingerprint)
            raise _not_placed(error, retry_is_safe=bool(key)) from error
        except OperationalError as error:
            # SQLite's write lock, held by another request's synchronous shop call for longer than the busy
            # timeout: the cost of long transactions, shown to the customer instead of a 500.
            raise TooBusy("We are too busy to take your order right now. Nothing was ordered: please try again.") from error
        return Placement(order, replayed=False)
    raise AssertionError("unreachable: a key conflicts at most twice (its record, then the form's other content)")


def _not_placed(error: ShopError, *, retry_is_safe: bool) -> OrderNotPlaced:
    """What the customer is told when the synchronous call failed: the truth, as far as we know it."""
    if not error.may_be_placed:
        return ShopRefusedInRequest(
            f"The pizza shop did not take your order ({error.in_words}). Nothing was ordered and nothing was "
            "kept: you can submit it again."
        )
    again = (
        "Submitting the same order again is safe: it goes to the shop under the same key, so you will not get "
        "a second pizza." if retry_is_safe else
        "We kept nothing, and without the request's key a new submission may order a second pizza."
    )
    # Said once, in words: the error's detail (the exception, the library's message) is the attempt's, for staff.
    return ShopAnswerLost(f"We sent your order, but the pizza shop's answer never reached us: the shop may have it. {again}")


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


def submit_order(*, source: str = Source.FORM, **fields) -> Placement:
    """Place an order as a customer does (place_order's arguments), and record how long they waited and what
    they saw: in the order's own transaction when it is placed (one commit), on its own otherwise (a repeat of
    an earlier request, or nothing kept: the wait still counts)."""
    mode, policy = current_mode_and_policy()  # one read of the settings row for the whole request
    started_at, started = timezone.now(), time.perf_counter()

    def record_accepted(order: Order) -> None:
        _record_wait(mode, source, started_at, started, WaitOutcome.ACCEPTED, order=order)

    try:
        placement = place_order(mode=mode, policy=policy, source=source, when_placed=record_accepted, **fields)
    except OrderNotPlaced as error:
        _record_wait(mode, source, started_at, started, WaitOutcome.ERROR, error=str(error))
        raise
    if placement.replayed:
        _record_wait(mode, source, started_at, started, WaitOutcome.ACCEPTED, order=placement.order)
    return placement


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
        return submit_order(source=source, client_key=client_key, **fields).order

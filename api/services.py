"""Placing an order through the API: the form's rules, the form's service, and idempotency keys.

The `Idempotency-Key` does two things. Here, it remembers the first request's body (IdempotencyKey), so a
repeat with the same body answers 200 with the same order, and one with another body answers 422. In the
workflow (workflow.idempotency), it determines the order's key at the shop, as the form's submission id does:
a retry after a failed request (nothing kept, the key still free) reaches the shop under the same key.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from orders.models import Order
from workflow.idempotency import Source
from workflow.start import submit_order

from .forms import API_FIELDS, ApiOrderForm
from .models import IdempotencyKey

# The model's field for each API field, for the rules only the model checks (when it is saved).
_MODEL_FIELDS = {"customer_name": "name", "customer_email": "email", "delivery_address": "address"}


class OrderRejected(Exception):
    """The request's order breaks a rule; `errors` is a list of (API field or None, message)."""

    def __init__(self, errors: list[tuple[str | None, str]]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key came before with a different body."""


@dataclass(frozen=True)
class Placement:
    order: Order
    replayed: bool  # True: the key had placed this order before; nothing new was placed


def body_hash(body: dict) -> str:
    """SHA-256 of the body as canonical JSON: key order and spacing do not make two bodies differ."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def place_api_order(*, body: dict, idempotency_key: str | None = None) -> Placement:
    """Place the order the body describes, as the order form does (same checks, same transaction, same job).

    With an idempotency key, a repeat of the same body gets the order the key placed before; a different
    body raises IdempotencyKeyReused. The key is saved in the order's own transaction, so two concurrent
    requests with one key place one order: the second fails on the key's unique constraint, its whole
    transaction rolls back, and it answers with the first one's order.
    Raises OrderRejected, IdempotencyKeyReused, or orders.process.OrderNotPlaced (nothing was kept).
    """
    digest = body_hash(body)
    if idempotency_key and (earlier := _earlier_order(idempotency_key, digest)):
        return Placement(earlier, replayed=True)
    fields = clean_order_body(body)
    recorded = []  # the key's row, once this request has written it
    record_key = partial(_record_key, idempotency_key, digest, recorded) if idempotency_key else None
    try:
        order = submit_order(source=Source.API, client_key=idempotency_key, in_same_transaction=record_key, **fields)
    except IntegrityError:
        earlier = idempotency_key and _earlier_order(idempotency_key, digest)
        if not earlier:
            raise
        return Placement(earlier, replayed=True)
    except ValidationError as error:
        raise model_rejection(error) from error
    if idempotency_key and not recorded:
        # A concurrent request with the key placed this order a moment earlier (place_order found it by its
        # shop key): answer as to any repeat, once the body is checked against the key's.
        return Placement(_earlier_order(idempotency_key, digest) or order, replayed=True)
    return Placement(order, replayed=False)


def clean_order_body(body: dict) -> dict:
    """The order's fields for place_order, from a body already checked for shape (OrderIn), by the order form's
    rules (ApiOrderForm); raises OrderRejected naming the API's fields. The batch transform checks its rows here too."""
    form = ApiOrderForm.from_body(body)
    if not form.is_valid():
        raise OrderRejected(
            [(API_FIELDS.get(field), message) for field, messages in form.errors.items() for message in messages]
        )
    return {name: value for name, value in form.cleaned_data.items() if name != "submission"}


def model_rejection(error: ValidationError) -> OrderRejected:
    """A rule only the model states (checked by place_order's full_clean), as the API's fields."""
    return OrderRejected(
        [
            (API_FIELDS.get(_MODEL_FIELDS.get(field, field)), message)
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    )


def _earlier_order(key: str, digest: str) -> Order | None:
    record = IdempotencyKey.objects.select_related("order").filter(key=key).first()
    if record is None:
        return None
    if record.body_hash != digest:
        raise IdempotencyKeyReused(key)
    return record.order


def _record_key(key: str, digest: str, recorded: list, order: Order) -> None:
    recorded.append(IdempotencyKey.objects.create(key=key, body_hash=digest, order=order))

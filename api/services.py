"""Placing an order through the API: the form's rules and the form's service (workflow.start.submit_order).

The `Idempotency-Key` is the client's key of its request, kept with a fingerprint of the body (SHA-256 of the
body as canonical JSON) in the one idempotency record every entry shares (workflow.idempotency): a repeat
with the same body answers 200 with the same order, one with another body answers 422 (IdempotencyKeyReused),
also when the first request's answer was lost in the synchronous mode and nothing was kept but the record.
"""

from django.core.exceptions import ValidationError

from workflow.idempotency import Placement, Source, placed_before, request_fingerprint
from workflow.start import submit_order

from .forms import API_FIELDS, ApiOrderForm

# The model's field for each API field, for the rules only the model checks (when it is saved).
_MODEL_FIELDS = {"customer_name": "name", "customer_email": "email", "delivery_address": "address"}


class OrderRejected(Exception):
    """The request's order breaks a rule; `errors` is a list of (API field or None, message)."""

    def __init__(self, errors: list[tuple[str | None, str]]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors


def place_api_order(*, body: dict, idempotency_key: str | None = None) -> Placement:
    """Place the order the body describes, as the order form does (same checks, same transaction, same job).

    A repeat of a key with the same body is answered before the body is checked again (the menu may have
    changed since): the order it placed. Raises OrderRejected, workflow.idempotency.IdempotencyKeyReused, or
    orders.process.OrderNotPlaced (nothing was kept).
    """
    digest = request_fingerprint(body)
    if earlier := placed_before(Source.API, idempotency_key, digest):
        return Placement(earlier, replayed=True)
    fields = clean_order_body(body)
    try:
        return submit_order(source=Source.API, client_key=idempotency_key, request_hash=digest, **fields)
    except ValidationError as error:
        raise model_rejection(error) from error


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

"""The shop's callback body, read and checked before anything is stored.

    {"idempotency_key": "<uuid>", "shop_order_id": "...", "status": "accepted", ...}
    {"idempotency_key": "<uuid>", "shop_order_id": "...", "status": "cancelled", "reason": "out of dough", ...}

Any body that is not such an object (not UTF-8, not JSON, NaN, nested too deeply, a field too long for its
column, an id with control characters) is refused with 400 and a reason naming the field; other fields the
shop sends (event, reference, accepted_at, cancelled_at) are ignored. The message's id is its webhook-id
header (core/webhooks.py bounds it), not a field of the body.
"""

import re
import uuid

from core.strict_json import JsonRejected, loads_strict
from orders.models import Order

# Each required field, and the longest value its column holds (read from the models, so stated once).
FIELD_LENGTHS = {
    "idempotency_key": 36,  # a UUID in its canonical form
    "shop_order_id": Order._meta.get_field("shop_order_id").max_length,
    "status": 20,
}
ACCEPTED = "accepted"
CANCELLED = "cancelled"
MAX_REASON_LENGTH = 200  # the shop's own limit; ours (Order.cancel_reason) is longer
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class BadCallbackBody(Exception):
    """The body is refused; `status` is the 4xx to answer (400, or 422 for an unknown status)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def parse_callback(body: bytes) -> dict:
    """The callback's fields, checked; raises BadCallbackBody."""
    try:
        payload = loads_strict(body)
    except JsonRejected as error:
        raise BadCallbackBody(400, str(error) if error.field == "body" else f"{error.field}: {error}") from None
    if not isinstance(payload, dict):
        raise BadCallbackBody(400, "the body must be a JSON object")
    missing = [field for field in FIELD_LENGTHS if not isinstance(payload.get(field), str) or not payload[field]]
    if missing:
        raise BadCallbackBody(400, f"missing or empty: {', '.join(missing)}")
    for field, max_length in FIELD_LENGTHS.items():
        value = payload[field]
        if len(value) > max_length:
            raise BadCallbackBody(400, f"{field} is {len(value)} characters long; at most {max_length} are allowed")
        if CONTROL_CHARACTERS.search(value):
            raise BadCallbackBody(400, f"{field} contains control characters")
    try:
        payload["idempotency_key"] = uuid.UUID(payload["idempotency_key"])
    except ValueError:
        raise BadCallbackBody(400, "idempotency_key is not a UUID") from None
    if payload["status"] not in (ACCEPTED, CANCELLED):
        raise BadCallbackBody(422, f"unknown status {payload['status']!r}")
    reason = payload.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH or CONTROL_CHARACTERS.search(reason):
        raise BadCallbackBody(400, f"reason must be text of at most {MAX_REASON_LENGTH} characters, on one line")
    return payload

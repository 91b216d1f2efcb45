"""Idempotency keys: one record per client key (workflow.models.IdempotencyRecord), and the order's key at
the shop derived from it. `place_order` is the only caller of the writes here; the API also asks
`placed_before` first, so a repeat is answered even when its body would no longer pass the form's checks.

Every entry hands over the client's own id for its request (the form's one-time `submission` id, the API's
`Idempotency-Key`, a bulk import's key per batch and row) with a fingerprint of the request. Each source has
its rule for a key it used before:

- the same fingerprint: the same request again; the order it placed is the answer (nothing new is placed);
- another fingerprint, from the form (Back, then changed, then submitted): a new order, keyed by the id and
  the new fingerprint, so that this new request is itself safe to repeat;
- another fingerprint, from the API or a batch: refused (IdempotencyKeyReused), nothing placed.

The order's shop key is a UUIDv5 of a fixed namespace and `<source>:<key>`, so the same request, sent again,
reaches the shop under the same key in every mode: after a lost answer in the synchronous mode nothing was
kept here but the record (without an order), and the retry computes the same key, so the shop answers with
the order it already holds (no second pizza). A form's id and an API key never meet on one shop key. A
request without a client key gets a random shop key: the order is still safe within its own retries.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass

from django.db import IntegrityError

from orders.models import Order

from .models import IdempotencyRecord, Source

__all__ = ["IdempotencyKeyReused", "Placement", "Source", "placed_before", "request_fingerprint", "shop_key_for"]

# Fixed for ever: changing it would give a retry of an older request a new shop key.
SHOP_KEY_NAMESPACE = uuid.UUID("6f1c2b0e-5a43-4c57-9d6a-3b1f0e8c2a71")
# Sources whose other request under a used key is a new order (keyed by the key and its fingerprint).
NEW_ORDER_FOR_ANOTHER_REQUEST = {Source.FORM}


class IdempotencyKeyReused(Exception):
    """The client's key came before with another request, and its source refuses that (the API, a batch)."""

    def __init__(self, source: str, key: str, *, order_kept: bool):
        super().__init__(f"{source} key {key!r} was used before for another request")
        self.source, self.key = source, key
        self.order_kept = order_kept  # False: the first request's shop answer was lost; the shop may hold it


@dataclass(frozen=True)
class Placement:
    order: Order
    replayed: bool  # True: the key placed this order before; nothing new was placed


def request_fingerprint(request: dict) -> str:
    """SHA-256 of the request (the API's body, or the fields given to place_order) as canonical JSON: key
    order and spacing do not make two requests differ. (The API's key table hashed its bodies the same way
    before the move to these records, so its hashes still match.)"""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def shop_key_for(source: str, client_key: str | None) -> uuid.UUID:
    """The order's idempotency key at the shop, for the client's key of one request (random without one)."""
    if not client_key:
        return uuid.uuid4()
    return uuid.uuid5(SHOP_KEY_NAMESPACE, f"{Source(source)}:{client_key}")


def resolve_key(source: str, key: str | None, fingerprint: str) -> tuple[str | None, IdempotencyRecord | None]:
    """The key this request goes under (the client's, or for the form's other request the key and its
    fingerprint) and that key's record for this very request, if any: with its order, or without one (sent
    before, its answer lost: the retry reaches the shop under the same key). Raises IdempotencyKeyReused."""
    if not key:
        return None, None
    record = IdempotencyRecord.objects.select_related("order").filter(source=source, key=key).first()
    if record is None or record.request_hash == fingerprint:
        return key, record
    if Source(source) in NEW_ORDER_FOR_ANOTHER_REQUEST:
        return resolve_key(source, f"{key}+{fingerprint}", fingerprint)
    raise IdempotencyKeyReused(source, key, order_kept=record.order_id is not None)


def placed_before(source: str, key: str | None, fingerprint: str) -> Order | None:
    """The order this key placed for this request before, if any. Raises IdempotencyKeyReused."""
    record = resolve_key(source, key, fingerprint)[1]
    return record.order if record else None


def record_placement(source: str, key: str, fingerprint: str, order: Order, *, unanswered: IdempotencyRecord | None) -> None:
    """In the order's transaction: the key placed this order. `unanswered`: the record a lost answer left,
    now completed. A key another request took meanwhile raises IntegrityError (the transaction rolls back)."""
    if unanswered is None:
        IdempotencyRecord.objects.create(source=source, key=key, request_hash=fingerprint, order=order)
    elif not IdempotencyRecord.objects.filter(pk=unanswered.pk, order=None).update(order=order):
        raise IntegrityError(f"the {source} key {key!r} placed an order meanwhile")


def record_unanswered(source: str, key: str, fingerprint: str) -> None:
    """After the rollback of a synchronous order whose shop answer was lost: the key is spent on this request
    (the shop may hold it), so another request under it cannot reach the shop under the same shop key."""
    # A concurrent request with the key may have written its record first: then that one holds the key.
    IdempotencyRecord.objects.get_or_create(source=source, key=key, defaults={"request_hash": fingerprint})

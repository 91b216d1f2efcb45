"""The shop changes its mind: it cancels an order it had accepted (out of dough, the oven broke), and says so.

- `POST /orders/{key}/cancel-by-shop` (control token; optional `{"reason": "...", "client": "NAME"}`) does it
  to one order now; `client` picks the client when two used the same key.
- The knob `shop_cancel_rate` does it to that share of newly accepted orders, `shop_cancel_after_s` after
  their acceptance (a daemon thread of the shop process, like a callback: lost if the shop restarts).

The client hears of it two ways: an order placed in callback mode gets a signed `order.cancelled` event at
its callback_url (shop/callbacks.py delivers it, with the same retries as a decision); in every mode its
ledger entry reads `"status": "cancelled", "cancelled_by": "shop", "cancel_reason": "..."`, which a client's
reconciliation finds.
"""

import logging
import threading
from dataclasses import dataclass, field

from django.db import connections
from django.utils import timezone

from . import callbacks
from .eras import ResetDuringCall, eras, transaction_in
from .errors import MalformedRequest
from .faults import RateDice
from .models import CancelledBy, LedgerEntry, LedgerStatus, ShopSettings
from .validation import validate_idempotency_key

logger = logging.getLogger("shop")

MAX_REASON_LENGTH = LedgerEntry._meta.get_field("cancel_reason").max_length
DRAWN_REASON = "out of dough"  # what the knob's cancellations say

dice = RateDice()


@dataclass(frozen=True)
class ShopCancelReply:
    status: int
    body: dict = field(default_factory=dict)


def draw(knobs: ShopSettings) -> bool:
    """Whether the shop will cancel the order being accepted (the knob shop_cancel_rate)."""
    return dice.draw(knobs.shop_cancel_rate, seed=knobs.seed)


def cancel_by_shop(raw_key: str, data: object) -> ShopCancelReply:
    """Handle POST /orders/{key}/cancel-by-shop: 200 with the entry (a repeat answers the same), 404 for a
    key no client used, 409 for an order not accepted (pending, or cancelled by its client), or a key two
    clients used without `client`; 400 naming the field for bad input."""
    try:
        key = validate_idempotency_key(raw_key, field="idempotency_key")
        reason, client_name = _read(data)
    except MalformedRequest as error:
        return ShopCancelReply(400, {"errors": error.errors})
    entries = LedgerEntry.objects.filter(idempotency_key=key)
    if client_name:
        entries = entries.filter(client__name=client_name)
    entry_ids = list(entries.values_list("id", flat=True)[:2])
    if not entry_ids:
        return ShopCancelReply(404, {"error": "no client has an order under this key"})
    if len(entry_ids) > 1:
        return ShopCancelReply(409, {"errors": {"client": "two clients used this key: name the client"}})
    try:
        return _cancel(entry_ids[0], reason=reason, era=eras.current)
    except ResetDuringCall:
        return ShopCancelReply(503, {"error": "shop was reset during the call"})


def _read(data: object) -> tuple[str, str | None]:
    if not isinstance(data, dict):
        raise MalformedRequest({"body": "must be a JSON object, e.g. {\"reason\": \"the oven broke\"}"})
    unknown = set(data) - {"reason", "client"}
    if unknown:
        raise MalformedRequest({sorted(unknown)[0][:100]: "is not a field (known: reason, client)"})
    reason = data.get("reason", "no reason given")
    if not isinstance(reason, str) or not reason.strip() or not reason.isprintable():
        raise MalformedRequest({"reason": "must be a line of text"})
    if len(reason) > MAX_REASON_LENGTH:
        raise MalformedRequest({"reason": f"must be at most {MAX_REASON_LENGTH} characters"})
    client = data.get("client")
    if client is not None and not isinstance(client, str):
        raise MalformedRequest({"client": "must be a client's name"})
    return reason.strip(), client


def _cancel(entry_id: int, *, reason: str, era: int) -> ShopCancelReply:
    with transaction_in(era):
        entry = LedgerEntry.objects.select_for_update().select_related("client").get(pk=entry_id)
        if entry.status == LedgerStatus.CANCELLED:
            if entry.cancelled_by == CancelledBy.SHOP:
                return ShopCancelReply(200, entry.to_json_for_operator())
            return ShopCancelReply(409, {"error": "its client cancelled it already", **entry.to_json_for_operator()})
        if entry.status != LedgerStatus.ACCEPTED:
            return ShopCancelReply(409, {"error": "not accepted yet: the shop has not decided it", **entry.to_json_for_operator()})
        entry.status, entry.cancelled_at = LedgerStatus.CANCELLED, timezone.now()
        entry.cancelled_by, entry.cancel_reason = CancelledBy.SHOP, reason
        entry.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    logger.info("Order %s cancelled by the shop: %s", entry.shop_order_id, reason)
    if entry.callback_url:
        callbacks.send_in_background(callbacks.cancellation_notice(entry), era=era)
    return ShopCancelReply(200, entry.to_json_for_operator())


def shop_cancels_later(entry_id: int, *, era: int) -> None:
    """Cancel the accepted entry shop_cancel_after_s from now, in a thread of its own."""
    after_s = ShopSettings.load().shop_cancel_after_s
    threading.Thread(
        target=_cancel_later, args=(entry_id, after_s, era), name=f"shop-cancels-{entry_id}", daemon=True
    ).start()


def _cancel_later(entry_id: int, after_s: float, era: int) -> None:
    try:
        if eras.wait(era, after_s):
            _cancel(entry_id, reason=DRAWN_REASON, era=era)
    except ResetDuringCall:
        logger.info("The shop's cancellation of ledger entry %s dropped: the shop was reset", entry_id)
    finally:
        connections.close_all()  # this thread's own connections

"""POST /orders/{idempotency_key}/cancel: the caller takes an order back, while the shop can still let it go.
A client cancels its own orders only: another client's key under the same name is a 404 to it.

An order can be cancelled while it is pending (callback mode, not decided yet) or within the knob
`cancel_window_s` of its acceptance; after that it is "already in the oven" (409). A cancelled pending
order is never decided: its callback thread finds it no longer pending and posts nothing (the caller had
its answer from this call). A repeat answers 200 with the same body, so a caller that lost the answer can
simply ask again.

Cancelling is what a client does, like placing an order, so it meets the same injected faults as
POST /orders: down (503), latency (sync mode only: in callback mode latency delays decisions, not answers),
failure_rate (503, nothing cancelled) and lost_response_rate (cancelled, then the connection is cut).
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from .eras import ResetDuringCall, eras, transaction_in
from .errors import MalformedRequest
from .faults import dice
from .models import ApiClient, CancelledBy, LedgerEntry, LedgerStatus, ShopMode, ShopSettings
from .validation import validate_idempotency_key

logger = logging.getLogger("shop")

TOO_LATE = "already in the oven"


@dataclass(frozen=True)
class CancelReply:
    status: int
    body: dict = field(default_factory=dict)
    lost: bool = False  # cancelled, but the connection is to be cut instead of answering


def cancel_order(raw_key: str, *, client: ApiClient) -> CancelReply:
    """Handle one call to POST /orders/{key}/cancel for the client's own order, faults included; logged here."""
    era = eras.current
    knobs = ShopSettings.load()
    if knobs.is_down():
        return _logged(CancelReply(503, {"error": "shop is down"}), raw_key)
    try:
        key = validate_idempotency_key(raw_key, field="idempotency_key")
    except MalformedRequest as error:
        return _logged(CancelReply(400, {"errors": error.errors}), raw_key)
    if knobs.latency_s and knobs.mode == ShopMode.SYNC and not eras.wait(era, knobs.latency_s):
        return _logged(CancelReply(503, {"error": "shop was reset during the call"}), key)
    faults = dice.roll(failure_rate=knobs.failure_rate, lost_response_rate=knobs.lost_response_rate, seed=knobs.seed)
    if faults.fail:
        return _logged(CancelReply(503, {"error": "injected failure"}), key)
    try:
        reply = _cancel(client, key, window_s=knobs.cancel_window_s, era=era)
    except ResetDuringCall:
        return _logged(CancelReply(503, {"error": "shop was reset during the call"}), key)
    lost = faults.lose_response and reply.status == 200
    return _logged(CancelReply(reply.status, reply.body, lost=lost), key)


def _cancel(client: ApiClient, key: str, *, window_s: float, era: int) -> CancelReply:
    """Decide and record, in one transaction with the callback's decision (both lock the settings row)."""
    with transaction_in(era):
        entry = LedgerEntry.objects.select_for_update().filter(client=client, idempotency_key=key).first()
        if entry is None:
            return CancelReply(404, {"error": "the shop never had an order under this key"})
        if entry.status == LedgerStatus.CANCELLED:
            return CancelReply(200, entry.to_json())
        now = timezone.now()
        if entry.status == LedgerStatus.ACCEPTED and now - entry.accepted_at > timedelta(seconds=window_s):
            message = f"{TOO_LATE}: it was accepted more than cancel_window_s ({window_s:g} s) ago"
            return CancelReply(409, {"error": message, **entry.to_json()})
        entry.status, entry.cancelled_at, entry.cancelled_by = LedgerStatus.CANCELLED, now, CancelledBy.CLIENT
        entry.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    return CancelReply(200, entry.to_json())


def _logged(reply: CancelReply, key: str | None) -> CancelReply:
    shown = key if key is None or len(key) <= 80 else key[:77] + "..."
    answer = "response lost (connection cut)" if reply.lost else str(reply.status)
    logger.info("POST /orders/.../cancel: key=%r -> %s %s", shown, answer, reply.body.get("status", ""))
    return reply

"""Callback mode's second half: decide an acknowledged order after latency_s, then POST the decision to the
order's callback_url, signed, and try again while the webhook gives no answer or a 5xx/429. The shop's later
change of mind (shop/shop_cancels.py) is posted the same way, as an `order.cancelled` event.

Signed in the Standard Webhooks format (core/webhooks.py) with SHOP_WEBHOOK_SECRET: `webhook-id` (one per
event, the same on every try), `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`.

Each acknowledged order gets a daemon thread of the shop process, so that no request thread waits on a
webhook, and a slow or dead webhook holds up nothing but its own callback. Daemon threads end with the
process: on a restart the callbacks under way are lost. runshop resumes the orders still pending when it
starts (they are decided afresh, with a new webhook-id); an order already decided whose callback had not got
through is not called back again. The app's deadline covers both: past it, the app asks GET /orders/{key}.

A reset ends every callback of the era before it (see shop/eras.py): none changes the new ledger or counters,
and none posts after its thread has seen the reset.
"""

import dataclasses
import json
import logging
import threading
import uuid
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import connections
from django.utils import timezone

from core.backoff import nominal_delay_s
from core.webhooks import signed_headers

from .eras import ResetDuringCall, eras, transaction_in
from .models import CallbackEvent, CallbackStats, LedgerEntry, LedgerStatus, ShopSettings

logger = logging.getLogger("shop")

EVENT = "order.accepted"
CANCELLED_EVENT = "order.cancelled"
TIMEOUT_S = 5.0  # for one try: to connect, and then for each read
MAX_TRIES = 12
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0


def backoff_s(failed_tries: int) -> float:
    """How long to wait after this many failed tries: 0.5 s, doubling, at most 10 s."""
    return nominal_delay_s(failed_tries, first_s=FIRST_BACKOFF_S, cap_s=MAX_BACKOFF_S)


def schedule(entry_id: int, *, delay_s: float, era: int, then=None) -> None:
    """Decide the pending entry after `delay_s` and call its webhook, in a thread of its own. `then(entry_id,
    era=era)` runs once the entry is accepted (the shop's later change of mind, when one was drawn)."""
    threading.Thread(
        target=_decide_and_call_back, args=(entry_id, delay_s, era, then), name=f"shop-callback-{entry_id}", daemon=True
    ).start()


def send_in_background(callback: "Callback", *, era: int) -> None:
    """Deliver an event (with the decision's retries) in a thread of its own."""
    threading.Thread(target=_deliver_in_thread, args=(callback, era), name="shop-event", daemon=True).start()


def resume_pending() -> int:
    """Schedule the entries an earlier shop process left pending (runshop calls this at start); how many."""
    delay_s = ShopSettings.load().latency_s
    pending = LedgerEntry.objects.filter(status=LedgerStatus.PENDING).exclude(callback_url="")
    entry_ids = list(pending.values_list("id", flat=True))
    for entry_id in entry_ids:
        schedule(entry_id, delay_s=delay_s, era=eras.current)
    return len(entry_ids)


@dataclass(frozen=True)
class Callback:
    """One event to deliver: every try posts the same body under the same webhook-id."""

    url: str
    body: bytes
    shop_order_id: str  # for the log
    msg_id: str = dataclasses.field(default_factory=lambda: f"msg_{uuid.uuid4().hex}")


def _decide_and_call_back(entry_id: int, delay_s: float, era: int, then=None) -> None:
    try:
        if not eras.wait(era, delay_s):
            return
        callback = _decide(entry_id, era)
        if callback is not None:
            if then is not None:
                then(entry_id, era=era)
            _deliver(callback, era)
    except ResetDuringCall:
        logger.info("Callback for ledger entry %s dropped: the shop was reset", entry_id)
    finally:
        connections.close_all()  # this thread's own connections; nothing else would close them


def _deliver_in_thread(callback: "Callback", era: int) -> None:
    try:
        _deliver(callback, era)
    except ResetDuringCall:
        logger.info("Event for %s dropped: the shop was reset", callback.shop_order_id)
    finally:
        connections.close_all()


def cancellation_notice(entry: LedgerEntry) -> "Callback":
    """The `order.cancelled` event for an entry the shop cancelled."""
    body = {
        "event": CANCELLED_EVENT,
        "idempotency_key": entry.idempotency_key,
        "reference": entry.reference,
        "shop_order_id": entry.shop_order_id,
        "status": entry.status,
        "cancelled_at": entry.cancelled_at.isoformat(),
        "reason": entry.cancel_reason,
    }
    return Callback(entry.callback_url, _encode(body), entry.shop_order_id)


def _encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _decide(entry_id: int, era: int) -> Callback | None:
    """Accept the entry if it is still pending, and say what to post; None when there is nothing to decide."""
    with transaction_in(era):
        decided = LedgerEntry.objects.filter(pk=entry_id, status=LedgerStatus.PENDING).update(
            status=LedgerStatus.ACCEPTED, accepted_at=timezone.now()
        )
        if not decided:
            return None
        entry = LedgerEntry.objects.get(pk=entry_id)
    body = {
        "event": EVENT,
        "idempotency_key": entry.idempotency_key,
        "reference": entry.reference,
        "shop_order_id": entry.shop_order_id,
        "status": entry.status,
        "accepted_at": entry.accepted_at.isoformat(),
    }
    logger.info("Order %s accepted; calling back %s", entry.shop_order_id, entry.callback_url)
    return Callback(entry.callback_url, _encode(body), entry.shop_order_id)


def _deliver(callback: Callback, era: int) -> None:
    """Post the callback until the webhook takes it (2xx, or 409: it had already), refuses it, or tries run out."""
    for tries in range(1, MAX_TRIES + 1):
        if eras.current != era:
            raise ResetDuringCall
        status = _post(callback)
        if status is not None and (200 <= status < 300 or status == 409):
            _count(CallbackEvent.SENT, era)
            logger.info("Callback for %s delivered (%s) after %d tries", callback.shop_order_id, status, tries)
            return
        _count(CallbackEvent.FAILED_TRY, era)
        if status is not None and status < 500 and status != 429:
            # Any other answer is the app refusing this callback (a bad signature, an unknown order):
            # sending it again would be refused again.
            _count(CallbackEvent.ABANDONED, era)
            logger.warning("Callback for %s refused by %s with %s", callback.shop_order_id, callback.url, status)
            return
        if tries < MAX_TRIES and not eras.wait(era, backoff_s(tries)):
            raise ResetDuringCall
    _count(CallbackEvent.ABANDONED, era)
    logger.warning("Callback for %s abandoned after %d tries", callback.shop_order_id, MAX_TRIES)


def _post(callback: Callback) -> int | None:
    """One try, signed afresh: the webhook's status code, or None when it gave none (refused, cut, timed out)."""
    headers = {
        "Content-Type": "application/json",
        **signed_headers(msg_id=callback.msg_id, body=callback.body, secret=settings.SHOP_WEBHOOK_SECRET),
    }
    try:
        # No redirects: a signed POST goes where the order said, or not at all.
        response = requests.post(
            callback.url, data=callback.body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False
        )
    except requests.RequestException as error:
        logger.info("Callback for %s got no answer: %s", callback.shop_order_id, error.__class__.__name__)
        return None
    logger.info("Callback for %s answered %s", callback.shop_order_id, response.status_code)
    return response.status_code


def _count(event: CallbackEvent, era: int) -> None:
    with transaction_in(era):
        CallbackStats.add_one(event.value)

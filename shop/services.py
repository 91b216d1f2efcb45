"""What the shop does: receive an order call with its injected faults, change its knobs, start afresh.

Views call these and only turn the result into HTTP; tests of the API reach them through the real server.
All state but the fault dice, the count of resets and the callbacks under way is in the "shop" database;
those belong to the one process that serves the shop. What follows an acknowledgement in callback mode is
in shop/callbacks.py.
"""

import logging
from dataclasses import dataclass, field
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import callbacks, shop_cancels
from .eras import ResetDuringCall, eras, transaction_in
from .faults import dice
from .models import ApiClient, CallbackStats, CallStats, LedgerEntry, LedgerStatus, Outcome, ShopMode, ShopSettings
from .routers import SHOP_DB
from .shop_cancels import draw as draw_shop_cancellation, shop_cancels_later
from .validation import (
    InvalidFields,
    MalformedRequest,
    parse_json,
    validate_idempotency_key,
    validate_knobs,
    validate_order,
)

logger = logging.getLogger("shop")

# Attempts at drawing a shop_order_id that no other entry has; a clash among 16**10 ids is a freak event.
_ORDER_ID_ATTEMPTS = 3


@dataclass(frozen=True)
class Reply:
    """The shop's answer to one order call: a status and a JSON body, unless the response is to be lost."""

    outcome: Outcome | None  # None: a call cut short by a reset, which no era's counters include
    status: int
    body: dict = field(default_factory=dict)

    @property
    def lost(self) -> bool:
        return self.outcome is Outcome.LOST_RESPONSE


def receive_order(*, client: ApiClient, idempotency_key: str | None, body: bytes | None) -> Reply:
    """Handle one call to POST /orders for the client, faults included, in the order the API documents.

    `body` is None when it was too large to read. The outcome is counted and logged here.
    In callback mode a new key is acknowledged at once (202, pending) and decided in the background.
    """
    era = eras.current
    knobs = ShopSettings.load()
    if knobs.is_down():
        return _finish(Reply(Outcome.DOWN, 503, {"error": "shop is down"}), idempotency_key)
    callback_mode = knobs.mode == ShopMode.CALLBACK
    try:
        key = validate_idempotency_key(idempotency_key)
        order = validate_order(parse_json(body), callback_required=callback_mode)
    except MalformedRequest as error:
        return _finish(Reply(Outcome.INVALID, 400, {"errors": error.errors}), idempotency_key)
    except InvalidFields as error:
        return _finish(Reply(Outcome.INVALID, 422, {"errors": error.errors}), idempotency_key)

    # In callback mode the acknowledgement answers at once: the latency delays the decision instead.
    if knobs.latency_s and not callback_mode and not eras.wait(era, knobs.latency_s):
        return _reset_during_call(key)
    faults = dice.roll(failure_rate=knobs.failure_rate, lost_response_rate=knobs.lost_response_rate, seed=knobs.seed)
    if faults.fail:
        return _finish(Reply(Outcome.FAILED_INJECTED, 503, {"error": "injected failure"}), key)

    try:
        entry, created = _accept_order(
            client=client,
            idempotency_key=key,
            order=order,
            callback_url=order["callback_url"] if callback_mode else None,
            decide_after_s=knobs.latency_s,
            lose_response=faults.lose_response,
            era=era,
            cancel_later=draw_shop_cancellation(knobs),
        )
    except ResetDuringCall:
        return _reset_during_call(key)
    reply = Reply(_outcome(entry, created, faults.lose_response), *_answer(entry, created))
    _log(reply, key, f"{entry.shop_order_id}, {'new' if created else f'received {entry.received} times'}")
    return reply


def _outcome(entry: LedgerEntry, created: bool, lose_response: bool) -> Outcome:
    """How a call that reached the ledger is counted."""
    if lose_response:
        return Outcome.LOST_RESPONSE
    if not created:
        return Outcome.REPLAYED
    return Outcome.ACKNOWLEDGED if entry.status == LedgerStatus.PENDING else Outcome.ACCEPTED


def _answer(entry: LedgerEntry, created: bool) -> tuple[int, dict]:
    """The status and body for the entry as it stands, whatever the mode is now. A cancelled key is 409:
    its order is not made, and a 200 would read as "accepted" to a caller that retries."""
    if entry.status == LedgerStatus.CANCELLED:
        return 409, {"error": "this order was cancelled; its key cannot place it again", **entry.to_json()}
    if entry.status == LedgerStatus.PENDING:
        return 202, {"ticket": entry.shop_order_id, "status": entry.status}
    return 201 if created else 200, {"shop_order_id": entry.shop_order_id, "status": entry.status}


def _accept_order(
    *, client: ApiClient, idempotency_key: str, order: dict, callback_url: str | None, decide_after_s: float,
    lose_response: bool, era: int, cancel_later: bool = False,
) -> tuple[LedgerEntry, bool]:
    """Place the order once per key: the ledger entry and whether this call created it.

    A repeated key only counts the call. Safe under concurrent calls with one key, on SQLite and PostgreSQL:
    the unique key lets one call create the entry, and the others count themselves on it.
    With a `callback_url` a new entry is pending, and decided `decide_after_s` after the commit.
    `cancel_later` (drawn from shop_cancel_rate): the shop will cancel the new entry once it is accepted.
    The call's outcome is counted in the same transaction, so the stats always agree with the ledger.
    Raises ResetDuringCall when the shop was reset since the call began (`era`).
    """
    with transaction_in(era):
        entry, created = _place_once(client, idempotency_key, order, callback_url)
        if created and entry.status == LedgerStatus.PENDING:
            then = shop_cancels_later if cancel_later else None
            schedule = partial(callbacks.schedule, entry.id, delay_s=decide_after_s, era=era, then=then)
            transaction.on_commit(schedule, using=SHOP_DB)
        elif created and cancel_later:
            transaction.on_commit(partial(shop_cancels_later, entry.id, era=era), using=SHOP_DB)
        CallStats.count(_outcome(entry, created, lose_response))
    return entry, created


def _place_once(client: ApiClient, idempotency_key: str, order: dict, callback_url: str | None) -> tuple[LedgerEntry, bool]:
    """The client's entry under the key, and whether this call created it (pending if it has a callback_url).

    The insert comes first: a new key, nearly every call, costs one INSERT and no look-up. The unique
    (client, key) constraint refuses a repeat, or the entry a concurrent call committed first (PostgreSQL makes
    this insert wait for that commit; SQLite's writers never overlap), and the repeat is counted on it.
    """
    pending = callback_url is not None
    for _ in range(_ORDER_ID_ATTEMPTS):
        try:
            # A savepoint, so that a unique clash leaves the caller's transaction usable.
            with transaction.atomic(using=SHOP_DB):
                return LedgerEntry.objects.create(
                    client=client,
                    idempotency_key=idempotency_key,
                    reference=order["reference"],
                    payload=order,
                    status=LedgerStatus.PENDING if pending else LedgerStatus.ACCEPTED,
                    accepted_at=None if pending else timezone.now(),
                    callback_url=callback_url or "",
                ), True
        except IntegrityError:
            if (entry := _count_repeat(client, idempotency_key)) is not None:
                return entry, False
            # Otherwise the drawn shop_order_id was taken: create() draws another.
    raise IntegrityError(f"no free shop_order_id after {_ORDER_ID_ATTEMPTS} draws")


def _count_repeat(client: ApiClient, idempotency_key: str) -> LedgerEntry | None:
    """Count one more call on the client's entry under the key and return it; None when there is none."""
    entries = LedgerEntry.objects.filter(client=client, idempotency_key=idempotency_key)
    counted = entries.update(received=F("received") + 1, last_received_at=timezone.now())
    return entries.get() if counted else None


def change_settings(data: object) -> ShopSettings:
    """Change the knobs given in `data` and only those; all or nothing (raises InvalidFields)."""
    changes = validate_knobs(data)
    knobs = ShopSettings.load()
    knobs.change(changes)
    if "seed" in changes:
        # Setting a seed, even the same one again, restarts the draws: that is what makes a run repeatable.
        dice.reseed(knobs.seed)
        shop_cancels.dice.reseed(knobs.seed)
    logger.info("Settings changed: %s", changes)
    return knobs


def reset_shop() -> ShopSettings:
    """Empty the ledger, zero the counters, restore the default knobs and restart the draws.

    Calls under way are cut short (503) rather than placing their orders in the emptied ledger; callbacks
    under way stop without posting again.
    """
    eras.begin_new()  # first, so that no call can begin accepting in the old era after the ledger is emptied
    with transaction.atomic(using=SHOP_DB):
        ShopSettings.restore_defaults()  # first: it locks the row that accepting calls lock too
        LedgerEntry.objects.all().delete()
        CallStats.restore_defaults()
        CallbackStats.restore_defaults()
        knobs = ShopSettings.load()
    dice.reseed(knobs.seed)
    shop_cancels.dice.reseed(knobs.seed)
    logger.info("Shop reset: ledger emptied, counters zeroed, default settings")
    return knobs


def _finish(reply: Reply, idempotency_key: str | None, detail: str = "nothing placed") -> Reply:
    """Count and log a call that placed nothing."""
    if reply.outcome is not None:
        CallStats.count(reply.outcome)
    _log(reply, idempotency_key, detail)
    return reply


def _reset_during_call(idempotency_key: str) -> Reply:
    return _finish(Reply(None, 503, {"error": "shop was reset during the call"}), idempotency_key, "abandoned")


def _log(reply: Reply, idempotency_key: str | None, detail: str) -> None:
    if idempotency_key is not None and len(idempotency_key) > 80:
        idempotency_key = idempotency_key[:77] + "..."  # an over-long key is refused; keep the log line short
    answer = "response lost (connection cut)" if reply.lost else str(reply.status)
    what = reply.outcome or "cut short by a reset"
    logger.info("POST /orders %s: key=%r -> %s; %s", what, idempotency_key, answer, detail)

"""Compensation for orphans, and the reconciliation sweep: no order stays at the shop that the app does not
stand behind.

An orphan is a shop order the app has no confirmed (or still open) order for: a late callback for an order
that failed or was cancelled here, an answer lost on the last attempt while the shop could not be asked, or
a ledger entry the app has no order for at all. Each is cancelled at the shop. The sweep (every minute, and
`manage.py reconcile`) reads the shop's ledger, our own part of it (the shop answers our SHOP_API_KEY with
our orders only: another client's orders are neither seen nor touched), and settles every difference:

| at the shop               | here                               | the sweep                                  |
| ------------------------- | ---------------------------------- | ------------------------------------------ |
| accepted or pending       | no order with that key             | cancel at the shop                         |
| accepted or pending       | failed, or cancelled               | cancel at the shop                         |
| accepted or pending       | cancelling                         | queue the compensating call again          |
| cancelled by the shop     | confirmed, or awaiting its callback | cancelled here with the shop's reason; the customer is mailed |
| cancelled                 | anything else                      | nothing (the shop does not hold it)        |

An entry younger than ORPHAN_GRACE is left for the next sweep: a synchronous order is at the shop a moment
before its own transaction commits here.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.queue import enqueue_task, ensure_every_minute, schedule_once, task_group
from orders.models import SHOP_MAY_CANCEL, Order, OrderStatus

from .engine_policy import current_retry_policy
from .shop_cancellation import cancelled_by_shop
from .events import record_event
from .cancellation import enqueue_compensation
from .models import EventKind
from .retry_policy import RetryPolicy
from .shop_client import ShopClient, ShopUnavailable, default_shop_client

logger = logging.getLogger(__name__)

HELD_AT_SHOP = ("accepted", "pending")


def orphan_grace() -> timedelta:
    return timedelta(seconds=max(60, 2 * (settings.SHOP_CONNECT_TIMEOUT_S + settings.SHOP_TIMEOUT_S)))


def cancel_orphan(order_id: int, tries: int = 0, *, client: ShopClient | None = None, policy: RetryPolicy | None = None) -> str:
    """Cancel at the shop an order that failed or was cancelled here; retried with backoff, a bounded number
    of times (the sweep catches whatever is left)."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or not order.shop_must_not_hold:
        return "nothing to do"
    policy = policy or current_retry_policy()
    try:
        answer = (client or default_shop_client()).cancel(str(order.idempotency_key))
    except ShopUnavailable as error:
        if tries + 1 >= policy.max_attempts:
            return f"gave up after {tries + 1} tries ({error}); the sweep will try again"
        with transaction.atomic():
            schedule_orphan_cancellation(order, tries=tries + 1, at=timezone.now() + timedelta(seconds=policy.delay_after(tries + 1)))
        return f"try {tries + 1} failed ({error}); next one scheduled"
    if answer.state == "unknown":
        return "the shop does not have it"
    _record_compensation(order, answer.state, answer.detail)
    return "cancelled at the shop" if answer.state == "cancelled" else "too late: the shop keeps it"


def _record_compensation(order: Order, state: str, detail: str) -> None:
    kept = state == "too_late"
    record_event(
        order, EventKind.COMPENSATED,
        customer="Nothing new: the order stays as the status page says.",
        engine=(f"The shop held an order we do not stand behind ({order.status}); asked to cancel it: "
                + (f"too late, it keeps it ({detail}). Staff should look at it." if kept else "cancelled."))[:300],
        database="Committed: this row (the order's own status does not change).",
    )
    (logger.warning if kept else logger.info)("orphan of order %s at the shop: %s", order.short_id, state)


@dataclass
class Reconciliation:
    """What one sweep found and did; the counts are shop ledger entries."""

    entries: int = 0
    unknown_to_app: list[str] = field(default_factory=list)
    not_stood_behind: list[str] = field(default_factory=list)
    cancelled_at_shop: int = 0
    too_late: int = 0
    still_cancelling: int = 0
    unreachable: int = 0
    cancelled_by_shop: list[str] = field(default_factory=list)  # keys of our orders the shop cancelled itself

    def __str__(self):
        return (f"{self.entries} ledger entries; {len(self.unknown_to_app)} unknown to the app, "
                f"{len(self.not_stood_behind)} failed or cancelled here; cancelled at the shop {self.cancelled_at_shop}, "
                f"too late {self.too_late}, cancellations re-queued {self.still_cancelling}, shop unreachable {self.unreachable}; "
                f"cancelled by the shop {len(self.cancelled_by_shop)}")


def reconcile_with_shop(*, client: ShopClient | None = None, now=None, grace: timedelta | None = None) -> Reconciliation:
    """Compare the shop's ledger with our orders and settle every difference (see the module's table).
    `grace`: how old an entry unknown to the app must be (default orphan_grace(); a pending one waits)."""
    client = client or default_shop_client()
    now = now or timezone.now()
    grace = orphan_grace() if grace is None else grace
    result = Reconciliation()
    try:
        ledger = client.ledger()
    except ShopUnavailable as error:
        logger.warning("reconciliation: the shop's ledger could not be read: %s", error)
        result.unreachable = 1
        return result
    held = [entry for entry in ledger if entry.get("status", "accepted") in HELD_AT_SHOP]
    result.entries = len(ledger)
    _settle_shop_cancellations([entry for entry in ledger if entry.get("status") == "cancelled"], result)
    orders = {str(order.idempotency_key): order for order in Order.objects.filter(idempotency_key__in=[_key(e) for e in held if _key(e)])}
    for entry in held:
        key = _key(entry)
        order = orders.get(key)
        if order is None:
            accepted_at = _accepted_at(entry)
            if accepted_at is None or accepted_at > now - grace:
                continue  # pending, or perhaps a synchronous order whose transaction has not committed yet
            result.unknown_to_app.append(key)
        elif order.status == OrderStatus.CANCELLING:
            enqueue_compensation(order)
            result.still_cancelling += 1
            continue
        elif order.shop_must_not_hold:
            result.not_stood_behind.append(key)
        else:
            continue
        try:
            answer = client.cancel(key)
        except ShopUnavailable:
            result.unreachable += 1
            continue
        result.cancelled_at_shop += answer.state == "cancelled"
        result.too_late += answer.state == "too_late"
        if order is not None and answer.state != "unknown":
            _record_compensation(order, answer.state, answer.detail)
    if result.unknown_to_app or result.not_stood_behind or result.cancelled_by_shop:
        logger.warning("reconciliation: %s", result)
    return result


def _settle_shop_cancellations(cancelled: list[dict], result: Reconciliation) -> None:
    """Our orders the shop holds no longer while we still stand behind them: the shop changed its mind."""
    reasons = {_key(entry): str(entry.get("cancel_reason") or "") for entry in cancelled if _key(entry)}
    if not reasons:
        return
    ours = Order.objects.filter(idempotency_key__in=_uuids(reasons), status__in=SHOP_MAY_CANCEL)
    for order_id, key in ours.values_list("pk", "idempotency_key"):
        now = timezone.now()
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status not in SHOP_MAY_CANCEL:
                continue  # moved on meanwhile (the shop's signed event said so first)
            cancelled_by_shop(order, reason=reasons[str(key)][:200], now=now,
                              how="the reconciliation sweep found it cancelled in the shop's ledger")
        result.cancelled_by_shop.append(str(key))


def _uuids(keys) -> list[uuid.UUID]:
    """The keys that can be ours (UUIDs); anything else in the ledger cannot match an order."""
    found = []
    for key in keys:
        try:
            found.append(uuid.UUID(key))
        except ValueError:
            continue
    return found


def _key(entry: dict) -> str:
    return str(entry.get("idempotency_key") or "")


def _accepted_at(entry: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(str(entry.get("accepted_at")).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


# --- The reconciliation's tasks and how they are queued -------------------------------------------------

RECONCILE_SCHEDULE_NAME = "reconcile with the shop's ledger"


def cancel_orphan_task(order_id: int, tries: int = 0) -> str:
    return cancel_orphan(order_id, tries)


def reconcile_with_shop_task() -> str:
    return str(reconcile_with_shop())


def enqueue_orphan_cancellation(order: Order, *, tries: int = 0) -> None:
    """Cancel at the shop an order we do not stand behind (failed or cancelled here)."""
    enqueue_task(cancel_orphan_task, order, tries)


def schedule_orphan_cancellation(order: Order, *, tries: int, at) -> None:
    schedule_once(cancel_orphan_task, order.pk, tries, at=at, name=f"cancel orphan {order.public_id} try {tries + 1}",
                  group=task_group(order))


def ensure_reconciliation_schedule():
    """The reconciliation sweep, every minute."""
    return ensure_every_minute(RECONCILE_SCHEDULE_NAME, reconcile_with_shop_task)

"""The shop's callback mode, the app's side: an acknowledged order waits, without holding a worker, for
the shop to call back; a signed webhook completes it; a deadline makes the app ask, then resubmit.

Signing: the shop sends `X-Shop-Timestamp: <unix seconds>` and
`X-Shop-Signature: sha256=<hex HMAC-SHA256(SHOP_WEBHOOK_SECRET, "<timestamp>." + body)>`.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.queue import enqueue_task, schedule_once, task_group
from orders.models import ConcurrentTransition, IllegalTransition, Order, OrderStatus

from .engine_policy import current_retry_policy
from .reconciliation import enqueue_orphan_cancellation
from .models import EventKind, WebhookDelivery
from .outcomes import confirm_order, retry_or_settle, settle_by_answer
from .retry_policy import RetryPolicy
from .shop_client import ShopClient
from .shop_lookup import ShopHolds, ask_the_shop
from .signing import signature_matches
from .webhook_body import BadCallbackBody, parse_callback

logger = logging.getLogger(__name__)

WAITING_FOR_SHOP = (OrderStatus.AWAITING_CALLBACK, OrderStatus.WAITING_RETRY, OrderStatus.SENDING)


class WebhookRejected(Exception):
    """The callback is refused and changes nothing; `status` is the 4xx to answer, the message says why.
    `orphan`: the order the shop accepted but we do not stand behind (failed or cancelled here)."""

    def __init__(self, status: int, message: str, orphan: Order | None = None):
        super().__init__(message)
        self.status = status
        self.orphan = orphan


@dataclass(frozen=True)
class WebhookResult:
    status: int
    message: str


# --- The webhook -----------------------------------------------------------------------------------

def verify_signature(*, body: bytes, timestamp: str | None, signature: str | None, now=None) -> datetime:
    """Check the shop's signature and that it is fresh; returns when it was signed. Raises WebhookRejected."""
    if not timestamp or not signature:
        raise WebhookRejected(401, "X-Shop-Timestamp and X-Shop-Signature are required")
    try:
        signed_at = datetime.fromtimestamp(int(timestamp), tz=dt_timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise WebhookRejected(400, "X-Shop-Timestamp must be whole seconds since the epoch") from None
    if not signature_matches(body, timestamp=timestamp, secret=settings.SHOP_WEBHOOK_SECRET, claimed=signature):
        raise WebhookRejected(401, "the signature does not match")
    # Checked after the signature, so an attacker learns nothing about our clock from a forged request.
    if abs(((now or timezone.now()) - signed_at).total_seconds()) > settings.WEBHOOK_TOLERANCE_S:
        raise WebhookRejected(400, f"the signature is older than {settings.WEBHOOK_TOLERANCE_S} s (or from the future)")
    return signed_at


def process_shop_callback(*, body: bytes, timestamp: str | None, signature: str | None) -> WebhookResult:
    """Verify and apply one callback. A repeat of a processed delivery is refused (409) and changes nothing."""
    signed_at = verify_signature(body=body, timestamp=timestamp, signature=signature)
    try:
        payload = parse_callback(body)
    except BadCallbackBody as error:
        raise WebhookRejected(error.status, str(error)) from None
    now = timezone.now()
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(idempotency_key=payload["idempotency_key"]).first()
            if order is None:
                raise WebhookRejected(404, "no order has that idempotency key")
            outcome = _apply(order, payload, now=now)
            WebhookDelivery.objects.create(
                delivery_id=payload["delivery_id"], order=order, received_at=now, signed_at=signed_at, outcome=outcome
            )
    except IntegrityError:
        raise WebhookRejected(409, "this delivery was processed already") from None
    except WebhookRejected as rejection:
        if rejection.orphan is not None:
            # Refused, so the shop's records show it; and cancelled there, so nobody makes a pizza we
            # told the customer is not coming (its own transaction: the rejection rolled the other back).
            with transaction.atomic():
                enqueue_orphan_cancellation(rejection.orphan)
        raise
    return WebhookResult(200, outcome)


def _apply(order: Order, payload: dict, *, now) -> str:
    if order.status == OrderStatus.CONFIRMED:
        return "no change: the order was confirmed already"
    if order.status not in WAITING_FOR_SHOP:
        # A shop that accepts an order we gave up on or that was cancelled: refuse, and cancel it there.
        orphan = order if order.shop_must_not_hold else None
        raise WebhookRejected(409, f"the order is {order.status}; nothing was changed", orphan=orphan)
    try:
        confirm_order(
            order, shop_order_id=payload["shop_order_id"], now=now, kind=EventKind.CALLBACK_RECEIVED,
            engine="The shop called back (signature and timestamp checked): the process resumes after its wait state.",
            database="Committed: order 'confirmed', confirmation email job, the delivery id kept against replays.",
        )
    except (IllegalTransition, ConcurrentTransition) as error:
        raise WebhookRejected(409, f"the order moved on: {error}") from None
    return "confirmed"


# --- The deadline ----------------------------------------------------------------------------------

def check_callback_deadline(order_id: int, *, client: ShopClient | None = None, policy: RetryPolicy | None = None) -> str:
    """No callback by the deadline: ask the shop. Accepted → confirmed; pending → wait longer (no attempt
    used); otherwise resubmit under the same key within the retry policy, or fail if none is left."""
    order = Order.objects.filter(pk=order_id).first()
    now = timezone.now()
    if order is None or order.status != OrderStatus.AWAITING_CALLBACK:
        return "nothing to do"
    if order.callback_deadline_at and order.callback_deadline_at > now:
        return "not due yet"
    policy = policy or current_retry_policy()
    seen = (order.attempts_made, order.callback_deadline_at)
    answer = ask_the_shop(order, client, timeout_s=policy.call_timeout_s)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        # A duplicate check, the callback, or a newer attempt may have moved it while we asked.
        if order.status != OrderStatus.AWAITING_CALLBACK or (order.attempts_made, order.callback_deadline_at) != seen:
            return "the order moved on meanwhile"
        engine = f"No callback by the deadline; asked the shop: {answer}."
        if settle_by_answer(order, answer, now=now, engine=engine):
            return "confirmed by asking" if answer.holds == ShopHolds.ACCEPTED else "waiting longer"
        retry_or_settle(
            order, now=now, policy=policy, engine=engine, shop=answer,
            give_up_reason=f"the shop did not confirm the order after {order.attempts_made} attempts",
        )
        return "resubmitting" if order.status == OrderStatus.WAITING_RETRY else "failed"


# --- The callback deadline's task and how it is queued --------------------------------------------------

def check_callback_deadline_task(order_id: int) -> str:
    return check_callback_deadline(order_id)


def enqueue_callback_deadline_check(order: Order) -> None:
    enqueue_task(check_callback_deadline_task, order)


def schedule_callback_deadline(order: Order, *, at) -> None:
    """Look at the order again at `at`, in case the shop's callback has not come by then."""
    schedule_once(check_callback_deadline_task, order.pk, at=at,
                  name=f"callback deadline {order.public_id} attempt {order.attempts_made}", group=task_group(order))

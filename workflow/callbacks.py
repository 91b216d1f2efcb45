"""The shop's callback mode, the app's side: an acknowledged order waits, without holding a worker, for
the shop to call back; a signed webhook completes it; a deadline makes the app ask, then resubmit.

Signing: the Standard Webhooks format (core/webhooks.py) with SHOP_WEBHOOK_SECRET: `webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>." + body>`. A message id
processed once is refused after (WebhookDelivery keeps them), so a replay within the tolerance changes nothing.

Two events: `order.accepted` confirms a waiting order; `order.cancelled` is the shop changing its mind about
an order it had accepted: the order is cancelled with the shop's reason, and the customer is told.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import webhooks
from core.queue import enqueue_task, schedule_once, task_group, unschedule
from orders.models import SHOP_MAY_CANCEL, ConcurrentTransition, IllegalTransition, Order, OrderStatus

from .engine_policy import current_retry_policy
from .reconciliation import enqueue_orphan_cancellation
from .models import EventKind, WebhookDelivery
from .outcomes import confirm_order, retry_or_settle, settle_by_answer
from .retry_policy import RetryPolicy
from .shop_cancellation import cancelled_by_shop
from .shop_client import ShopClient
from .shop_lookup import ShopHolds, ask_the_shop
from .webhook_body import CANCELLED, BadCallbackBody, parse_callback

logger = logging.getLogger(__name__)

WAITING_FOR_SHOP = (OrderStatus.AWAITING_CALLBACK, OrderStatus.WAITING_RETRY, OrderStatus.SENDING)


class WebhookRejected(webhooks.WebhookRejected):
    """The callback is refused and changes nothing; `status` is the 4xx to answer, the message says why.
    `orphan`: the order the shop accepted but we do not stand behind (failed or cancelled here)."""

    def __init__(self, status: int, message: str, orphan: Order | None = None):
        super().__init__(status, message)
        self.orphan = orphan


@dataclass(frozen=True)
class WebhookResult:
    status: int
    message: str


# --- The webhook -----------------------------------------------------------------------------------

def process_shop_callback(*, body: bytes, headers) -> WebhookResult:
    """Verify and apply one callback. A repeat of a processed message id is refused (409) and changes nothing.
    Raises core.webhooks.WebhookRejected (a bad signature) or WebhookRejected."""
    verified = webhooks.verify(
        headers=headers, body=body, secret=settings.SHOP_WEBHOOK_SECRET, tolerance_s=settings.WEBHOOK_TOLERANCE_S
    )
    signed_at = datetime.fromtimestamp(verified.timestamp, tz=dt_timezone.utc)
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
            was_waiting = order.status == OrderStatus.AWAITING_CALLBACK
            outcome = _apply(order, payload, now=now)
            if was_waiting and order.status != OrderStatus.AWAITING_CALLBACK:
                unschedule_callback_deadline(order)  # the callback came: no check at the deadline
            WebhookDelivery.objects.create(
                delivery_id=verified.msg_id, order=order, received_at=now, signed_at=signed_at, outcome=outcome
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
    if payload["status"] == CANCELLED:
        return _apply_shop_cancellation(order, payload, now=now)
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


def _apply_shop_cancellation(order: Order, payload: dict, *, now) -> str:
    if order.status == OrderStatus.CANCELLED:
        return "no change: the order was cancelled already"
    if order.status not in SHOP_MAY_CANCEL:
        raise WebhookRejected(409, f"the order is {order.status}; the shop cannot cancel it; nothing was changed")
    try:
        cancelled_by_shop(order, reason=payload.get("reason") or "", now=now, how="its signed callback said so")
    except (IllegalTransition, ConcurrentTransition) as error:
        raise WebhookRejected(409, f"the order moved on: {error}") from None
    return "cancelled by the shop"


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
            return {ShopHolds.ACCEPTED: "confirmed by asking", ShopHolds.CANCELLED: "cancelled by the shop"}.get(
                answer.holds, "waiting longer")
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


def _deadline_name(order: Order) -> str:
    return f"callback deadline {order.public_id} attempt {order.attempts_made}"


def schedule_callback_deadline(order: Order, *, at) -> None:
    """Look at the order again at `at`, in case the shop's callback has not come by then."""
    schedule_once(check_callback_deadline_task, order.pk, at=at, name=_deadline_name(order), group=task_group(order))


def unschedule_callback_deadline(order: Order) -> None:
    """The wait for the current attempt's callback is over: its deadline check would find nothing to do."""
    unschedule(check_callback_deadline_task, name=_deadline_name(order))

"""Telling an API client that its order is final: a signed POST to the order's callback_url, retried.

    POST <callback_url>
    Content-Type: application/json
    webhook-id: msg_<order id, hex>_<status>          (the same on every try of one notification)
    webhook-timestamp: 1767225600
    webhook-signature: v1,<base64 HMAC-SHA256(API_CALLBACK_SECRET, "<id>.<timestamp>." + body)>

    {"id": "<order id>", "status": "confirmed", "shop_order_id": "SHOP-…", "final_at": "2026-…"}

Each try is one POST with no transaction open, between two short transactions: claim the try, then record
what came of it. A 2xx delivers it, and no try follows. A connection error, a timeout or any other answer
schedules the next try with exponential backoff (a one-off django-q2 schedule, so no worker waits), up to
API_CALLBACK_MAX_TRIES tries in all. A worker lost in the middle of a try can make the client receive a
notification twice (it cannot know whether the POST arrived): clients deduplicate by webhook-id.

The signature is the Standard Webhooks format (core/webhooks.py), so a client verifies it with the
`standardwebhooks` library of its language (README, "Verifying our notifications").
"""

import contextlib
import json
import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.webhooks import signed_headers
from orders.models import Order
from core.queue import enqueue, enqueue_task, schedule_once
from core.timeouts import stale_after
from workflow.retry_policy import RetryPolicy

from .destinations import PrivateDestination
from .models import CallbackDelivery, DeliveryState
from .pinned_http import pinned_session
from .tasks import deliver_callback_task, notify_callback_task

logger = logging.getLogger(__name__)



def message_id(delivery: CallbackDelivery) -> str:
    """The notification's webhook-id: one per order (or other subject: "batch <id>") and final status, the same
    on every try."""
    about = delivery.order.public_id.hex if delivery.order_id else delivery.subject.replace(" ", "_")
    return f"msg_{about}_{delivery.status}"


def retry_policy() -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.API_CALLBACK_MAX_TRIES,
        base_delay_s=settings.API_CALLBACK_BACKOFF_S,
        max_delay_s=settings.API_CALLBACK_BACKOFF_CAP_S,
    )


def notification_body(order: Order) -> str:
    final_at = order.final_at
    payload = {
        "id": str(order.public_id),
        "status": order.status,
        "shop_order_id": order.shop_order_id or None,
        "final_at": final_at.isoformat() if final_at else None,
    }
    return json.dumps(payload, separators=(",", ":"))


def queue_notification(sender, *, order: Order, **kwargs) -> None:
    """Receiver of orders.signals.order_finalised (connected in ApiConfig.ready()): an order with a
    callback_url gets its notification job, in the transaction that made it final."""
    if order.callback_url:
        enqueue_task(notify_callback_task, order)


def queue_callback(*, subject: str, url: str, body: dict) -> CallbackDelivery:
    """A notification about something other than an order (a batch), in the caller's transaction: the same
    signing, tries and backoff as an order's. `subject` names it ("batch <id>") and is its django-q2 group. Its
    first try is due now, so the sweep (api.recovery) sends it if the job is lost; a second call for the same
    subject finds the first one's."""
    delivery, created = CallbackDelivery.objects.get_or_create(
        subject=subject,
        defaults={"url": url, "body": json.dumps(body, separators=(",", ":")), "status": body.get("status", ""),
                  "max_tries": settings.API_CALLBACK_MAX_TRIES, "next_try_at": timezone.now()},
    )
    if created:
        enqueue(deliver_callback_task, delivery.pk, group=delivery.task_group, name=f"notify {subject}")
    return delivery


def notify_callback(order_id: int, *, session=None) -> CallbackDelivery | None:
    """Announce the order's final status at its callback_url (the first try); None if nothing was tried."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or not order.is_final or not order.callback_url:
        return None  # gone, reopened by an admin since (a later final status notifies again), or no URL
    delivery, _ = CallbackDelivery.objects.get_or_create(
        order=order,
        status=order.status,
        defaults={
            "url": order.callback_url,
            "body": notification_body(order),
            "max_tries": settings.API_CALLBACK_MAX_TRIES,
        },
    )
    return deliver_callback(delivery.pk, session=session)


def deliver_callback(delivery_id: int, *, session=None) -> CallbackDelivery | None:
    """Make the notification's next try if one is due; returns it, or None if nothing was due."""
    delivery = _claim_try(delivery_id)
    if delivery is None:
        return None
    http_status, error = _post(delivery, session=session)
    _record_try(delivery, http_status=http_status, error=error)
    return delivery


def _claim_try(delivery_id: int) -> CallbackDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = CallbackDelivery.objects.select_for_update().select_related("order").filter(pk=delivery_id).first()
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return None
        if delivery.trying_since and delivery.trying_since > now - stale_after():
            return None  # a try is under way in another worker
        if delivery.next_try_at and delivery.next_try_at > now:
            return None  # an early duplicate of the scheduled retry
        if delivery.tries >= delivery.max_tries:  # the last try's worker was lost: nothing more to try
            delivery.state, delivery.trying_since = DeliveryState.GAVE_UP, None
            delivery.last_error = "the worker making the last try was lost"
            delivery.save()
            return None
        delivery.tries += 1
        delivery.trying_since = delivery.last_tried_at = now
        delivery.next_try_at = None
        delivery.save()
        return delivery




def _post(delivery: CallbackDelivery, *, session=None) -> tuple[int | None, str]:
    """One POST; returns (HTTP status or None, error or "" if it was delivered)."""
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "AsyncPizza-Notifier/1",
        **signed_headers(msg_id=message_id(delivery), body=body, secret=settings.API_CALLBACK_SECRET),
    }
    timeout = settings.API_CALLBACK_TIMEOUT_S
    try:
        # The pinned session checks the address again (the name may resolve elsewhere now than when the order
        # came) and connects to exactly the address it checked.
        with pinned_session() if session is None else contextlib.nullcontext(session) as http:
            response = http.post(
                delivery.url, data=body, headers=headers, timeout=(min(3.05, timeout), timeout), allow_redirects=False
            )
    except PrivateDestination as error:
        return None, f"refused: {error}"
    except (requests.RequestException, ValueError) as error:
        return None, f"{error.__class__.__name__}: {error}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"answered {response.status_code}: {response.text[:200]}"


def _record_try(delivery: CallbackDelivery, *, http_status: int | None, error: str) -> None:
    now = timezone.now()
    delivery.trying_since = None
    delivery.last_http_status = http_status
    delivery.last_error = error[:500]
    if not error:
        delivery.state, delivery.delivered_at = DeliveryState.DELIVERED, now
    elif delivery.tries < delivery.max_tries:
        delivery.next_try_at = now + timedelta(seconds=retry_policy().delay_after(delivery.tries))
    else:
        delivery.state = DeliveryState.GAVE_UP
    with transaction.atomic():
        delivery.save()
        if delivery.state == DeliveryState.PENDING:
            _schedule_try(delivery, at=delivery.next_try_at)
    logger.info("notification %s try %s: %s", delivery, delivery.tries, error or "delivered")


def _schedule_try(delivery: CallbackDelivery, *, at) -> None:
    """The next try at `at`, without holding a worker until then."""
    schedule_once(
        deliver_callback_task, delivery.pk, at=at,
        name=f"notify {delivery.about} try {delivery.tries + 1}", group=delivery.task_group,
    )
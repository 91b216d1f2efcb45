"""The mail step of the process: a confirmation, a notice that the order failed, that it was cancelled, or that
it was too late to cancel it. Each at most once; one the server refuses for good is marked undeliverable.

Subscribed to `orders.signals.order_finalised` (connected in WorkflowConfig.ready()): the mail job is queued
in the transaction that made the order final. The templates are the order pages' (templates/orders/emails/).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from orders import mail_delivery
from core.queue import enqueue_task, schedule_once, task_group
from orders.models import MailStatus, Order, OrderStatus

from .events import record_event
from .models import EventKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusMail:
    status: str  # the order's status the mail belongs to
    sent_field: str  # the column that records it was sent
    subject: str
    template: str
    what: str  # for the execution table
    condition: Q = Q()  # anything else the order must be for the mail to fit


STATUS_EMAILS = {
    "confirmed": StatusMail(OrderStatus.CONFIRMED, "confirmation_email_sent_at", "Your pizza order is confirmed", "confirmed",
                            "confirmation", Q(cancel_refused_reason="")),
    "failed": StatusMail(OrderStatus.FAILED, "failure_email_sent_at", "We could not place your pizza order", "failed", "failure"),
    "cancelled": StatusMail(OrderStatus.CANCELLED, "cancellation_email_sent_at", "Your pizza order is cancelled", "cancelled",
                            "cancellation"),
    "too_late": StatusMail(OrderStatus.CONFIRMED, "too_late_email_sent_at", "Too late to cancel your pizza order", "too_late",
                           "too-late-to-cancel", ~Q(cancel_refused_reason="")),
}
# When an order reached each final status (a too-late order: when the shop's refusal came, its updated_at).
FINAL_AT = {OrderStatus.CONFIRMED: "confirmed_at", OrderStatus.FAILED: "failed_at", OrderStatus.CANCELLED: "cancelled_at"}


def mail_pending(*, final_before=None) -> Q:
    """Orders in a final status whose mail has not been sent and is neither given up on (undeliverable) nor
    waiting for its next try (only those final before `final_before`, if given): the one definition the
    recovery sweep, the process diagram and /metrics count by."""
    pending = Q(pk__in=[])
    for kind, mail in STATUS_EMAILS.items():
        condition = Q(status=mail.status, **{f"{mail.sent_field}__isnull": True}) & mail.condition
        if final_before is not None:
            final_at = "updated_at" if kind == "too_late" else FINAL_AT[mail.status]
            condition &= Q(**{f"{final_at}__lt": final_before})
        pending |= condition
    pending &= ~Q(mail_status=MailStatus.UNDELIVERABLE)
    if final_before is not None:
        pending &= ~Q(mail_status=MailStatus.RETRYING, mail_next_try_at__gte=final_before)
    return pending


RetryLater = Callable[[Order, object], None]


def queue_status_email(sender, *, order: Order, **kwargs) -> None:
    """Receiver of order_finalised: the order's mail job, in the transaction that made it final."""
    enqueue_status_email(order)


def send_status_email(order_id: int, kind: str, *, retry_later: RetryLater | None = None) -> bool:
    """Send the mail of `kind` (see STATUS_EMAILS); True if it went now. False if it was sent already, no
    longer fits, was given up on, or was refused: then the order's `mail_status` says which.

    The send is claimed with a conditional update first, so a repeated job (a retried step, a re-delivered
    task) cannot send it twice. A refusal for now releases the claim and calls `retry_later(order, at)`
    (with backoff, MAIL_MAX_TRIES in all); a refusal for good marks the mail undeliverable. Neither raises:
    django-q2 retrying on its own would neither back off nor stop in time.
    """
    mail = STATUS_EMAILS[kind]
    now = timezone.now()
    fits = Q(pk=order_id, status=mail.status, **{f"{mail.sent_field}__isnull": True}) & mail.condition
    given_up = Q(mail_kind=kind, mail_status=MailStatus.UNDELIVERABLE)
    order = Order.objects.filter(fits).exclude(given_up).first()
    if order is None:
        return False
    tries = (order.mail_tries if order.mail_kind == kind else 0) + 1
    claimed = Order.objects.filter(fits).exclude(given_up).update(**{mail.sent_field: now}, mail_kind=kind, mail_tries=tries)
    if not claimed:
        return False
    order = Order.objects.select_related("pizza").get(pk=order_id)
    try:
        build_status_email(order, mail).send()
    except Exception as error:
        refusal = mail_delivery.classify(error)
        if refusal is None:
            Order.objects.filter(pk=order_id).update(**{mail.sent_field: None})
            raise
        _refused(order, mail, refusal, tries=tries, now=now, retry_later=retry_later)
        return False
    Order.objects.filter(pk=order_id).update(mail_status=MailStatus.SENT, mail_error="", mail_next_try_at=None)
    record_event(
        order,
        EventKind.EMAIL_SENT,
        customer=f"Got the {mail.what} email.",
        engine="The email job sent the mail (claimed first, so a repeated job cannot send it twice).",
        database="Committed: the mail marked as sent.",
    )
    logger.info("sent the %s mail of order %s to %s", kind, order.short_id, order.customer_email)
    return True


def _refused(order: Order, mail: StatusMail, refusal, *, tries: int, now, retry_later: RetryLater | None) -> None:
    out_of_tries = tries >= settings.MAIL_MAX_TRIES
    if refusal.for_good or out_of_tries:
        detail = refusal.detail if refusal.for_good else f"{refusal.detail} (gave up after {tries} tries)"
        Order.objects.filter(pk=order.pk).update(
            **{mail.sent_field: None}, mail_status=MailStatus.UNDELIVERABLE, mail_error=detail[:300], mail_next_try_at=None
        )
        record_event(
            order, EventKind.EMAIL_UNDELIVERABLE,
            customer="Got no email; the status page says we could not email them.",
            engine=f"The {mail.what} mail is undeliverable: {detail}"[:300],
            database="Committed: the order's mail marked 'undeliverable' (the admin filters on it).",
        )
        logger.warning("the %s mail of order %s is undeliverable: %s", mail.what, order.short_id, detail)
        return
    at = now + mail_delivery.next_try_after(tries)
    Order.objects.filter(pk=order.pk).update(
        **{mail.sent_field: None}, mail_status=MailStatus.RETRYING, mail_error=refusal.detail[:300], mail_next_try_at=at
    )
    if retry_later is not None:
        retry_later(order, at)
    logger.info("the %s mail of order %s was refused for now (%s); next try at %s", mail.what, order.short_id, refusal.detail, at)


def build_status_email(order: Order, mail: StatusMail) -> EmailMultiAlternatives:
    context = {"order": order, "status_url": f"{settings.SITE_URL}{order.get_absolute_url()}"}
    template = f"orders/emails/{mail.template}"
    message = EmailMultiAlternatives(
        subject=f"{mail.subject} ({order.short_id})",
        body=render_to_string(f"{template}.txt", context),
        to=[mail_delivery.recipient(order.customer_name, order.customer_email)],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


# --- The mail step's task and how it is queued ----------------------------------------------------------

def send_status_email_task(order_id: int, kind: str) -> str:
    sent = send_status_email(order_id, kind, retry_later=schedule_status_email)
    return "sent" if sent else "not sent (already sent, no longer due, or refused: see the order's mail status)"


def enqueue_status_email(order: Order) -> None:
    enqueue_task(send_status_email_task, order, order.status_mail_kind)


def schedule_status_email(order: Order, at) -> None:
    """Try a mail the server refused for now again at `at` (send_status_email backs off and counts the tries)."""
    schedule_once(send_status_email_task, order.pk, order.status_mail_kind, at=at,
                  name=f"mail {order.status_mail_kind} {order.public_id} at {at:%H:%M:%S}", group=task_group(order))

"""The mail step of the process: a confirmation, a notice that the order failed, that it was cancelled (by the
customer, or by the shop that changed its mind), or that it was too late to cancel it. Each at most once; one the server refuses for good is marked undeliverable.

Subscribed to `orders.signals.order_finalised` (connected in WorkflowConfig.ready()): the mail job is queued
in the transaction that made the order final. The templates are the order pages' (templates/orders/emails/).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from core.backoff import nominal_delay_s
from core.queue import enqueue_task, schedule_once, task_group
from orders import mail_delivery
from orders.models import STATUS_MAILS, MailStatus, Order, StatusMailRule

from .events import record_event
from .models import EventKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusMail:
    """What one kind of status mail says. When it is due and where its sending is recorded is the order's
    (orders.models.STATUS_MAILS): `rule`."""

    rule: StatusMailRule
    subject: str
    template: str
    what: str  # for the execution table

    @property
    def sent_field(self) -> str:
        return self.rule.sent_field


STATUS_EMAILS = {
    "confirmed": StatusMail(STATUS_MAILS["confirmed"], "Your pizza order is confirmed", "confirmed", "confirmation"),
    "failed": StatusMail(STATUS_MAILS["failed"], "We could not place your pizza order", "failed", "failure"),
    "cancelled": StatusMail(STATUS_MAILS["cancelled"], "Your pizza order is cancelled", "cancelled", "cancellation"),
    "shop_cancelled": StatusMail(STATUS_MAILS["shop_cancelled"], "The shop cancelled your pizza order", "shop_cancelled",
                                 "shop-cancellation"),
    "too_late": StatusMail(STATUS_MAILS["too_late"], "Too late to cancel your pizza order", "too_late", "too-late-to-cancel"),
}


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
    due = Order.objects.filter(mail.rule.due(), pk=order_id)
    order = due.first()
    if order is None:
        return False
    tries = (order.mail_tries if order.mail_kind == kind else 0) + 1
    claimed = due.update(**{mail.sent_field: now}, mail_kind=kind, mail_tries=tries)
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
    at = now + next_try_after(tries)
    Order.objects.filter(pk=order.pk).update(
        **{mail.sent_field: None}, mail_status=MailStatus.RETRYING, mail_error=refusal.detail[:300], mail_next_try_at=at
    )
    if retry_later is not None:
        retry_later(order, at)
    logger.info("the %s mail of order %s was refused for now (%s); next try at %s", mail.what, order.short_id, refusal.detail, at)


def next_try_after(tries: int) -> timedelta:
    """The wait after the n-th refused try: doubling from MAIL_RETRY_BACKOFF_S, capped (core.backoff)."""
    delay = nominal_delay_s(max(tries, 1), first_s=settings.MAIL_RETRY_BACKOFF_S, cap_s=settings.MAIL_RETRY_BACKOFF_CAP_S)
    return timedelta(seconds=delay)


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

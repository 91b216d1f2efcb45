"""The mail step of the process: a confirmation, or a notice that the order failed. Each at most once.

Subscribed to `orders.signals.order_finalised` (connected in WorkflowConfig.ready()): the mail job is queued
in the transaction that made the order final. The templates are the order pages' (templates/orders/emails/).
"""

import logging
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from orders.models import Order, OrderStatus

from .events import record_event
from .jobs import enqueue_status_email
from .models import EventKind

logger = logging.getLogger(__name__)

# Which status a mail belongs to, the column that records it was sent, and its subject.
STATUS_EMAILS = {
    OrderStatus.CONFIRMED: ("confirmation_email_sent_at", "Your pizza order is confirmed"),
    OrderStatus.FAILED: ("failure_email_sent_at", "We could not place your pizza order"),
}
# When an order reached each of those statuses.
FINAL_AT = {OrderStatus.CONFIRMED: "confirmed_at", OrderStatus.FAILED: "failed_at"}


def mail_pending(*, final_before=None) -> Q:
    """Orders in a final status whose mail has not been sent (only those final before `final_before`, if
    given): the one definition the recovery sweep, the process diagram and /metrics count by."""
    pending = Q(pk__in=[])
    for status, (sent_field, _) in STATUS_EMAILS.items():
        condition = Q(status=status, **{f"{sent_field}__isnull": True})
        if final_before is not None:
            condition &= Q(**{f"{FINAL_AT[status]}__lt": final_before})
        pending |= condition
    return pending


def queue_status_email(sender, *, order: Order, **kwargs) -> None:
    """Receiver of order_finalised: the order's mail job, in the transaction that made it final."""
    enqueue_status_email(order)


def send_status_email(order_id: int, status: str) -> bool:
    """Send the mail for an order that reached `status`; False if it was sent already or no longer fits.

    The send is claimed with a conditional update first, so a repeated job (a retried step, a re-delivered
    task) cannot send it twice. If the SMTP server refuses, the claim is released and the error raised, so
    that django-q2 runs the job again later.
    """
    sent_field, subject = STATUS_EMAILS[OrderStatus(status)]
    claimed = Order.objects.filter(pk=order_id, status=status, **{f"{sent_field}__isnull": True}).update(
        **{sent_field: timezone.now()}
    )
    if not claimed:
        return False
    order = Order.objects.select_related("pizza").get(pk=order_id)
    try:
        build_status_email(order, subject).send()
    except Exception:
        Order.objects.filter(pk=order_id).update(**{sent_field: None})
        raise
    record_event(
        order,
        EventKind.EMAIL_SENT,
        customer=f"Got the {'confirmation' if status == OrderStatus.CONFIRMED else 'failure'} email.",
        engine="The email job sent the mail (claimed first, so a repeated job cannot send it twice).",
        database="Committed: the mail marked as sent.",
    )
    logger.info("sent the %s mail of order %s to %s", status, order.short_id, order.customer_email)
    return True


def build_status_email(order: Order, subject: str) -> EmailMultiAlternatives:
    context = {"order": order, "status_url": f"{settings.SITE_URL}{order.get_absolute_url()}"}
    template = f"orders/emails/{order.status}"
    message = EmailMultiAlternatives(
        subject=f"{subject} ({order.short_id})",
        body=render_to_string(f"{template}.txt", context),
        # formataddr quotes what needs quoting ("Smith, John"), which an f-string would not.
        to=[formataddr((order.customer_name, order.customer_email))],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message

"""What an order carries for its edges: whether the shop may hold it and its cancellation (with the moves
that cancel it, and why it cannot be cancelled), and its status mails (which one its status calls for, which
were sent, which are due). Abstract models, mixed into orders.models.Order; every reader asks these, none
re-derives them."""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .states import FINAL_AT_FIELDS, FINAL_STATUSES, SHOP_MAY_CANCEL, IllegalTransition, MailStatus, OrderStatus

BY_SHOP = "shop"  # cancel_requested_by of an order the shop cancelled itself


class CancellableOrder(models.Model):
    """Cancellation: at once while the shop cannot hold the order, else through a compensating call
    (workflow/cancellation.py). The moves use Order._move (the state machine's compare-and-set)."""

    may_be_at_shop = models.BooleanField(
        default=False,
        help_text="An attempt may have reached the shop (in flight, answered, or its answer lost): a cancellation "
        "must then ask the shop. False only while every attempt so far certainly did not reach it.",
    )
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_by = models.CharField(max_length=10, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_tries = models.PositiveSmallIntegerField(default=0, help_text="Compensating calls made to the shop.")
    cancel_refused_reason = models.CharField(
        max_length=200, blank=True, help_text="Set when the shop said it was too late to cancel: the order stays confirmed."
    )
    cancel_reason = models.CharField(
        max_length=300, blank=True, help_text="Why it was cancelled, when the shop cancelled it (\"the shop cancelled it: …\")."
    )

    class Meta:
        abstract = True

    @property
    def can_cancel_at_once(self) -> bool:
        """Nothing was sent, or every attempt so far certainly did not reach the shop: no call is needed."""
        return self.status in {OrderStatus.RECEIVED, OrderStatus.WAITING_RETRY} and not self.may_be_at_shop

    @property
    def shop_must_not_hold(self) -> bool:
        """Failed or cancelled here: a shop order under its key is an orphan, to be cancelled there."""
        return self.status in {OrderStatus.FAILED, OrderStatus.CANCELLED}

    @property
    def is_cancelled_or_cancelling(self) -> bool:
        """A cancellation was asked for and is done, or under way: asking again changes nothing."""
        return self.status in {OrderStatus.CANCELLED, OrderStatus.CANCELLING}

    @property
    def why_not_cancellable(self) -> str:
        """Why a cancellation cannot be asked for now, as a clause for people ("it has failed: ..."); "" when it
        can. The one answer the status page, the API's 409, the admin's bulk action and the workflow give."""
        if self.status == OrderStatus.FAILED:
            return "it has failed: the shop does not have it, so there is nothing to cancel"
        if self.status == OrderStatus.CANCELLED:
            return "it is cancelled already"
        if self.status == OrderStatus.CANCELLING:
            return "it is being cancelled already (the shop is being asked)"
        if self.cancel_refused_reason:
            return f"too late to cancel: {self.cancel_refused_reason}"
        return ""

    @property
    def can_be_cancelled(self) -> bool:
        """Worth offering: not failed, cancelled or cancelling, and the shop has not refused a cancellation already."""
        return not self.why_not_cancellable

    def cancel_at_once(self, *, by: str, now) -> None:
        """The shop cannot hold the order yet: cancelled here, and no attempt follows (a queued or scheduled
        store-order job finds the order final and does nothing)."""
        if not self.can_cancel_at_once:
            raise IllegalTransition(self, f"{OrderStatus.CANCELLED} (the shop may hold it: cancel it there first)")
        self._move(
            OrderStatus.CANCELLED, cancel_requested_at=now, cancel_requested_by=by, cancelled_at=now,
            next_attempt_at=None, callback_deadline_at=None,
        )

    def begin_cancelling(self, *, by: str, now) -> None:
        """The shop may hold the order: a compensating call must cancel it there first."""
        self._move(
            OrderStatus.CANCELLING, cancel_requested_at=now, cancel_requested_by=by, next_attempt_at=None,
            callback_deadline_at=None, cancel_tries=0, cancel_refused_reason="",
        )

    def count_cancel_try(self) -> None:
        """One more compensating call; not a move of the status."""
        now = timezone.now()  # updated_at too: the stalled-order sweep looks for cancellations left quiet
        type(self).objects.filter(pk=self.pk).update(cancel_tries=models.F("cancel_tries") + 1, updated_at=now)
        self.cancel_tries, self.updated_at = self.cancel_tries + 1, now

    def cancelled_at_shop(self, *, now) -> None:
        self._move(OrderStatus.CANCELLED, cancelled_at=now)

    @property
    def cancelled_by_the_shop(self) -> bool:
        return self.status == OrderStatus.CANCELLED and self.cancel_requested_by == BY_SHOP

    def cancelled_by_shop(self, *, reason: str, now) -> None:
        """The shop cancelled an order it had accepted (it changed its mind): cancelled, with its reason. Only
        from SHOP_MAY_CANCEL (confirmed, or still awaiting the shop's callback)."""
        if self.status not in SHOP_MAY_CANCEL:
            raise IllegalTransition(self, f"{OrderStatus.CANCELLED} (the shop can only cancel what it accepted)")
        self._move(
            OrderStatus.CANCELLED, cancel_requested_at=now, cancel_requested_by=BY_SHOP, cancelled_at=now,
            cancel_reason=f"the shop cancelled it: {reason or 'no reason given'}"[:300],
            next_attempt_at=None, callback_deadline_at=None,
        )

    def cancel_refused(self, *, reason: str, shop_order_id: str, now) -> None:
        """Too late: the shop keeps the order, so it is (or stays) confirmed, and the customer is told."""
        self._move(
            OrderStatus.CONFIRMED, cancel_refused_reason=reason[:200], shop_order_id=shop_order_id or self.shop_order_id,
            confirmed_at=self.confirmed_at or now,
        )


@dataclass(frozen=True)
class StatusMailRule:
    """When one kind of status mail is due, and where its sending is recorded. What the mail says (subject,
    template) is the mail step's (workflow/mail.py)."""

    kind: str
    status: str  # the order's status the mail belongs to
    sent_field: str  # the column that records it was sent
    due_since_field: str  # when it became due (the final status's moment; a too-late order: the refusal's)
    condition: Q = Q()  # anything else the order must be for the mail to fit

    def unsent(self) -> Q:
        """Orders this mail fits that have not been sent it (nor claimed it: the claim sets sent_field)."""
        return Q(status=self.status, **{f"{self.sent_field}__isnull": True}) & self.condition

    def due(self) -> Q:
        """Unsent, and not given up on: this kind of mail was not refused for good (undeliverable)."""
        return self.unsent() & ~Q(mail_kind=self.kind, mail_status=MailStatus.UNDELIVERABLE)


STATUS_MAILS = {
    rule.kind: rule for rule in [
        StatusMailRule("confirmed", OrderStatus.CONFIRMED, "confirmation_email_sent_at",
                       FINAL_AT_FIELDS[OrderStatus.CONFIRMED], Q(cancel_refused_reason="")),
        StatusMailRule("failed", OrderStatus.FAILED, "failure_email_sent_at", FINAL_AT_FIELDS[OrderStatus.FAILED]),
        StatusMailRule("cancelled", OrderStatus.CANCELLED, "cancellation_email_sent_at",
                       FINAL_AT_FIELDS[OrderStatus.CANCELLED], ~Q(cancel_requested_by=BY_SHOP)),
        # The shop changed its mind: this one mail instead of the cancellation mail.
        StatusMailRule("shop_cancelled", OrderStatus.CANCELLED, "shop_cancelled_email_sent_at",
                       FINAL_AT_FIELDS[OrderStatus.CANCELLED], Q(cancel_requested_by=BY_SHOP)),
        # The refusal is the order's last move (Order.cancel_refused), so updated_at is when it came.
        StatusMailRule("too_late", OrderStatus.CONFIRMED, "too_late_email_sent_at", "updated_at",
                       ~Q(cancel_refused_reason="")),
    ]
}


def mail_pending(*, final_before=None) -> Q:
    """Orders whose status mail is due: final, not sent, and not given up on (undeliverable). With
    `final_before`: only those due since before then, and not waiting for a next try after it. The one
    definition the recovery sweep, the process diagram, the console and /metrics count by (Order.is_mail_pending
    says the same of one order)."""
    pending = Q(pk__in=[])
    for kind, rule in STATUS_MAILS.items():
        condition = rule.due()
        if final_before is not None:
            condition &= Q(**{f"{rule.due_since_field}__lt": final_before})
            condition &= ~Q(mail_kind=kind, mail_status=MailStatus.RETRYING, mail_next_try_at__gte=final_before)
        pending |= condition
    return pending


class MailState(models.Model):
    """The customer's status mails: which were sent, and whether the latest one could be delivered."""

    cancellation_email_sent_at = models.DateTimeField(null=True, blank=True)
    shop_cancelled_email_sent_at = models.DateTimeField(null=True, blank=True)
    too_late_email_sent_at = models.DateTimeField(null=True, blank=True)
    mail_status = models.CharField(max_length=15, choices=MailStatus.choices, blank=True, default=MailStatus.NONE, db_index=True)
    mail_kind = models.CharField(max_length=10, blank=True, help_text="Which status mail mail_status is about.")
    mail_error = models.CharField(max_length=300, blank=True, help_text="What the mail server said last.")
    mail_tries = models.PositiveSmallIntegerField(default=0, help_text="Tries of the current status mail.")
    mail_next_try_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def status_mail_kind(self) -> str:
        """Which mail (STATUS_MAILS) the order's final status calls for; "" while it is not final."""
        if self.status not in FINAL_STATUSES:
            return ""
        if self.status == OrderStatus.CONFIRMED and self.cancel_refused_reason:
            return "too_late"
        if self.status == OrderStatus.CANCELLED and self.cancel_requested_by == BY_SHOP:
            return "shop_cancelled"
        return str(self.status)

    @property
    def status_mail_sent_at(self):
        """When the mail of the order's status went (None: not yet, or no final status)."""
        kind = self.status_mail_kind
        return getattr(self, STATUS_MAILS[kind].sent_field) if kind else None

    @property
    def is_mail_given_up(self) -> bool:
        """The mail the status calls for was refused for good (or ran out of tries)."""
        return bool(self.status_mail_kind) and self.mail_status == MailStatus.UNDELIVERABLE and self.mail_kind == self.status_mail_kind

    @property
    def is_mail_pending(self) -> bool:
        """The mail the status calls for is due: not sent yet and not given up on (as mail_pending())."""
        return bool(self.status_mail_kind) and self.status_mail_sent_at is None and not self.is_mail_given_up

    @property
    def why_no_mail_due(self) -> str:
        """Why sending the status mail (again) would do nothing, as a clause for people; "" when it is due."""
        if not self.status_mail_kind:
            return "it has no final status yet, so no mail to send"
        if self.is_mail_given_up:
            return f"its mail is undeliverable ({self.mail_error})"
        return "its mail has been sent" if self.status_mail_sent_at else ""

    @property
    def sent_mails(self) -> list[tuple[str, object]]:
        """Each status mail sent so far, as (kind, when), oldest first (a confirmed, then cancelled order has two)."""
        sent = [(kind, getattr(self, rule.sent_field)) for kind, rule in STATUS_MAILS.items()]
        return sorted(((kind, at) for kind, at in sent if at), key=lambda pair: pair[1])

"""What an order carries for its edges: whether the shop may hold it and its cancellation (with the moves
that cancel it), and the state of its status mail. Abstract models, mixed into orders.models.Order."""

from django.db import models
from django.utils import timezone

from .states import SHOP_MAY_CANCEL, IllegalTransition, MailStatus, OrderStatus


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
    def can_be_cancelled(self) -> bool:
        """Worth offering: not final-and-settled, and the shop has not refused a cancellation already."""
        return self.status not in {OrderStatus.FAILED, OrderStatus.CANCELLED, OrderStatus.CANCELLING} and not self.cancel_refused_reason

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


class MailState(models.Model):
    """The customer's status mails: which were sent, and whether the latest one could be delivered."""

    cancellation_email_sent_at = models.DateTimeField(null=True, blank=True)
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
        """Which mail (workflow.mail.STATUS_EMAILS) the order's final status calls for."""
        if self.status == OrderStatus.CONFIRMED and self.cancel_refused_reason:
            return "too_late"
        if self.status == OrderStatus.CANCELLED and self.cancel_requested_by == BY_SHOP:
            return "shop_cancelled"
        return str(self.status)

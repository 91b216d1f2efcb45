"""The customer's side of Async Pizza: the menu and the orders with their states."""

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

# The state machine's vocabulary lives in orders.states; the names stay importable from here.
from .cancellable import BY_SHOP, STATUS_MAILS, CancellableOrder, MailState, StatusMailRule, mail_pending  # noqa: F401
from .states import (  # noqa: F401 (re-exported)
    ALLOWED_TRANSITIONS, FINAL_AT_FIELDS, FINAL_STATUSES, SHOP_MAY_CANCEL, ConcurrentTransition, IllegalTransition,
    MailStatus, OrderStatus,
)

MAX_QUANTITY = 20


class Size(models.TextChoices):
    SMALL = "small", "Small (25 cm)"
    MEDIUM = "medium", "Medium (30 cm)"
    LARGE = "large", "Large (35 cm)"


class PizzaQuerySet(models.QuerySet):
    def available(self):
        return self.filter(is_available=True)


class Pizza(models.Model):
    """A menu item, with a price for each size."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=240)
    price_small = models.DecimalField(max_digits=6, decimal_places=2)
    price_medium = models.DecimalField(max_digits=6, decimal_places=2)
    price_large = models.DecimalField(max_digits=6, decimal_places=2)
    is_available = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Where it stands on the menu.")

    objects = PizzaQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def price_for(self, size: str) -> Decimal:
        return {
            Size.SMALL: self.price_small,
            Size.MEDIUM: self.price_medium,
            Size.LARGE: self.price_large,
        }[Size(size)]


class StoreMode(models.TextChoices):
    """How the store-order step runs (the trainer's switch; see workflow.models.WorkflowSettings)."""

    ASYNC = "async", "Asynchronous (a background job)"
    SYNC = "sync", "Synchronous (inside the form's request)"


class OrderQuerySet(models.QuerySet):
    def final(self):
        return self.filter(status__in=FINAL_STATUSES)

    def open(self):
        return self.exclude(status__in=FINAL_STATUSES)

    def mail_pending(self, *, final_before=None):
        """Orders whose status mail is due (orders.cancellable.mail_pending)."""
        return self.filter(mail_pending(final_before=final_before))


class Order(CancellableOrder, MailState):
    """One customer's order of one menu line, and its journey to the shop."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Sent with every call to the shop, so a repeated call can never place a second order there.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    customer_name = models.CharField(max_length=100)
    customer_email = models.EmailField()
    delivery_address = models.TextField(max_length=300)

    pizza = models.ForeignKey(Pizza, on_delete=models.PROTECT, related_name="orders")
    size = models.CharField(max_length=10, choices=Size.choices)
    quantity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    unit_price = models.DecimalField(max_digits=6, decimal_places=2)
    total_price = models.DecimalField(max_digits=8, decimal_places=2)

    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.RECEIVED, db_index=True
    )
    mode = models.CharField(max_length=5, choices=StoreMode.choices, default=StoreMode.ASYNC, db_index=True)
    attempts_made = models.PositiveSmallIntegerField(default=0)
    attempt_limit = models.PositiveSmallIntegerField(
        help_text="Attempts allowed in all; an admin's retry raises it by a fresh budget."
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retrying_until = models.DateTimeField(
        null=True, blank=True, help_text="While waiting to retry: when the attempts run out if every one fails."
    )
    callback_deadline_at = models.DateTimeField(
        null=True, blank=True, help_text="In callback mode: when we stop waiting for the shop and ask it."
    )
    shop_order_id = models.CharField("shop's reference", max_length=64, blank=True)
    callback_url = models.URLField(
        max_length=500, blank=True, help_text="Where to POST a signed notification when the order is final (API)."
    )
    failure_reason = models.TextField(blank=True)

    created_at = models.DateTimeField("received at", default=timezone.now, db_index=True)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmation_email_sent_at = models.DateTimeField(null=True, blank=True)
    failure_email_sent_at = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=MAX_QUANTITY), name="order_quantity_range"
            ),
            models.CheckConstraint(
                condition=models.Q(attempts_made__lte=models.F("attempt_limit")), name="order_attempts_within_limit"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.pizza} ({self.size}) for {self.customer_name}"

    def get_absolute_url(self):
        return reverse("storefront:status", kwargs={"public_id": self.public_id})

    @property
    def short_id(self) -> str:
        return str(self.public_id)[:8]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def final_at(self):
        """When the order reached its final status (confirmed, failed or cancelled); None while it is open."""
        field = FINAL_AT_FIELDS.get(self.status)
        return getattr(self, field) if field else None

    @property
    def final_at(self):
        """When the order reached its final status (confirmed, failed or cancelled); None while it is open."""
        field = FINAL_AT_FIELDS.get(self.status)
        return getattr(self, field) if field else None

    @property
    def is_with_the_shop(self) -> bool:
        """Past "received", not yet final: attempts are being made, or awaited."""
        return self.status in {OrderStatus.SENDING, OrderStatus.WAITING_RETRY, OrderStatus.AWAITING_CALLBACK}

    @property
    def progress_version(self) -> str:
        """Changes whenever what the status page says about progress changes (not with the countdown)."""
        return f"{self.status}-{self.attempts_made}"

    @property
    def attempts_left(self) -> int:
        return self.attempt_limit - self.attempts_made

    def seconds_until_next_attempt(self, now=None) -> float | None:
        if self.status != OrderStatus.WAITING_RETRY or self.next_attempt_at is None:
            return None
        return max(0.0, (self.next_attempt_at - (now or timezone.now())).total_seconds())

    # --- State transitions -------------------------------------------------------------------------
    # Each one checks the move against ALLOWED_TRANSITIONS, then writes it with a compare-and-set UPDATE
    # on (status, attempts_made), so two workers racing on one order cannot both win: the loser gets
    # ConcurrentTransition and the database is untouched by it.

    def begin_attempt(self, *, now) -> int:
        """Claim the next attempt; returns its number."""
        if self.attempts_made >= self.attempt_limit:
            raise IllegalTransition(self, f"{OrderStatus.SENDING} (no attempts left)")
        self._move(
            OrderStatus.SENDING,
            attempts_made=self.attempts_made + 1,
            next_attempt_at=None,
            first_sent_at=self.first_sent_at or now,
            # Taking over an attempt whose worker was lost: that one may have reached the shop.
            may_be_at_shop=self.may_be_at_shop or self.status == OrderStatus.SENDING,
        )
        return self.attempts_made

    def wait_for_retry(self, *, at, may_have_reached: bool = True, until=None) -> None:
        """`may_have_reached`: False only when the failed attempt certainly did not reach the shop
        (connection refused, or the shop's own 503/429). `until`: when the budget of attempts runs out."""
        self._move(
            OrderStatus.WAITING_RETRY, next_attempt_at=at, callback_deadline_at=None, retrying_until=until or at,
            may_be_at_shop=self.may_be_at_shop or may_have_reached,
        )

    def await_callback(self, *, until) -> None:
        self._move(OrderStatus.AWAITING_CALLBACK, callback_deadline_at=until, may_be_at_shop=True)

    def confirm(self, *, shop_order_id: str, now) -> None:
        self._move(
            OrderStatus.CONFIRMED, shop_order_id=shop_order_id, confirmed_at=now, next_attempt_at=None,
            callback_deadline_at=None, may_be_at_shop=True,
        )

    def fail(self, *, reason: str, now, may_have_reached: bool = False) -> None:
        """`may_have_reached`: the last attempt may have placed it (its answer lost): compensation follows."""
        self._move(
            OrderStatus.FAILED, failure_reason=reason, failed_at=now, next_attempt_at=None, callback_deadline_at=None,
            may_be_at_shop=self.may_be_at_shop or may_have_reached,
        )

    def reopen(self, *, extra_attempts: int) -> None:
        """An admin's retry of a failed order: back to the start with a fresh budget of attempts."""
        self._move(
            OrderStatus.RECEIVED,
            attempt_limit=self.attempts_made + extra_attempts,
            failure_reason="",
            failed_at=None,
        )

    def _move(self, target: str, **changes) -> None:
        if target not in ALLOWED_TRANSITIONS[OrderStatus(self.status)]:
            raise IllegalTransition(self, target)
        changes["status"] = target
        changes["updated_at"] = timezone.now()
        updated = Order.objects.filter(
            pk=self.pk, status=self.status, attempts_made=self.attempts_made
        ).update(**changes)
        if updated != 1:
            raise ConcurrentTransition(f"order {self.public_id} changed under us (wanted {self.status} -> {target})")
        for field, value in changes.items():
            setattr(self, field, value)

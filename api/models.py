"""What the order API keeps beside the orders: the notifications it sends (clients' idempotency keys are
workflow.models.IdempotencyRecord, shared with every entry)."""

from django.db import models

from core.queue import task_group
from orders.models import Order


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting for its next try"
    DELIVERED = "delivered", "Delivered"
    GAVE_UP = "gave_up", "Given up"


class CallbackDelivery(models.Model):
    """One signed notification to a `callback_url`: an order reached a final status, or another subject did
    (a batch of orders: see `subject`).

    One row per order and final status (an admin's retry can take a failed order on to confirmed, and the
    client hears of both), or per subject. Every try sends the same body; once a try got a 2xx, none follows.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="callback_deliveries", null=True, blank=True)
    subject = models.CharField(
        max_length=100, blank=True, help_text="What it announces when that is not an order: \"batch <id>\"."
    )
    status = models.CharField(max_length=20, help_text="The final status it announces.")
    url = models.URLField(max_length=500)
    body = models.TextField(help_text="The JSON sent, the same on every try.")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    tries = models.PositiveSmallIntegerField(default=0)
    max_tries = models.PositiveSmallIntegerField()
    next_try_at = models.DateTimeField(null=True, blank=True)
    trying_since = models.DateTimeField(
        null=True, blank=True, help_text="A try is under way (claimed by a worker) since then."
    )
    last_tried_at = models.DateTimeField(null=True, blank=True)
    last_http_status = models.PositiveSmallIntegerField("last HTTP status", null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "callback deliveries"
        constraints = [
            # A duplicate run of the notification job finds the row the first one made.
            models.UniqueConstraint(fields=["order", "status"], name="one_callback_per_final_status"),
            models.UniqueConstraint(fields=["subject"], condition=~models.Q(subject=""), name="one_callback_per_subject"),
        ]

    def __str__(self):
        return f"{self.status} of {self.about} to {self.url}: {self.get_state_display()}"

    @property
    def about(self) -> str:
        """What it announces, in a few words: the order's short id, or its subject."""
        return f"order {self.order.short_id}" if self.order_id else self.subject

    @property
    def task_group(self) -> str:
        """The django-q2 group of its tries: the order's tasks, or the subject's."""
        return task_group(self.order) if self.order_id else self.subject

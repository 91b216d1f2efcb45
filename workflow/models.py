"""The execution record of the store-order step: one row per attempt to place an order at the shop."""

from django.db import models

from orders.models import Order


class AttemptOutcome(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    ACCEPTED = "accepted", "Accepted by the shop"
    TRANSIENT_ERROR = "transient_error", "Transient error (retried)"
    REJECTED = "rejected", "Rejected by the shop"
    INTERRUPTED = "interrupted", "Interrupted (worker lost)"


class StoreAttempt(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    # When the attempt was meant to start (order placed, or its retry due): started_at - due_at is the
    # time it waited for the scheduler and a free worker.
    due_at = models.DateTimeField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices, default=AttemptOutcome.IN_PROGRESS)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)", null=True, blank=True)

    class Meta:
        ordering = ["order", "number"]
        constraints = [
            # A duplicate run of the same task can never record the same attempt twice.
            models.UniqueConstraint(fields=["order", "number"], name="one_row_per_attempt"),
        ]

    def __str__(self):
        return f"attempt {self.number} of order {self.order.short_id}: {self.get_outcome_display()}"

    @property
    def queue_delay_ms(self) -> int:
        return max(0, round((self.started_at - self.due_at).total_seconds() * 1000))

    def finish(self, *, outcome: str, now, http_status: int | None = None, error: str = "") -> None:
        if self.outcome != AttemptOutcome.IN_PROGRESS:
            raise ValueError(f"{self} has already finished")
        self.outcome = outcome
        self.finished_at = now
        self.http_status = http_status
        self.error = error
        self.duration_ms = max(0, round((now - self.started_at).total_seconds() * 1000))
        self.save(update_fields=["outcome", "finished_at", "http_status", "error", "duration_ms"])

"""The execution record of the store-order step: one row per attempt to place an order at the shop."""

from django.db import models

from core.singleton import SingletonModel
from orders.models import Order, StoreMode

from .diagnostics import plain_words


class AttemptOutcome(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    ACCEPTED = "accepted", "Accepted by the shop"
    ACKNOWLEDGED = "acknowledged", "Acknowledged (answer by callback)"
    TRANSIENT_ERROR = "transient_error", "Transient error"
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
    # What the console shows of a failure (workflow/diagnostics.py bounds each): the exception's type and
    # traceback when our code (or a library under it) raised, the start of the shop's answer when it answered.
    error_type = models.CharField(max_length=200, blank=True)
    traceback = models.TextField(blank=True)
    response_body = models.TextField("start of the shop's answer", blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)", null=True, blank=True)
    # django-q2's timeout for the task that ran it (from the policy at the time): an attempt still in
    # progress after this long has lost its worker (workflow.attempt.stale_after). Empty on older rows.
    task_timeout_s = models.PositiveIntegerField("task timeout (s)", null=True, blank=True)

    class Meta:
        ordering = ["order", "number"]
        constraints = [
            # A duplicate run of the same task can never record the same attempt twice.
            models.UniqueConstraint(fields=["order", "number"], name="one_row_per_attempt"),
        ]

    def __str__(self):
        return f"attempt {self.number} of order {self.order.short_id}: {self.get_outcome_display()}"

    @property
    def error_in_words(self) -> str:
        """The error as the customer's status page says it (workflow.diagnostics.plain_words)."""
        return plain_words(self.error)

    @property
    def queue_delay_ms(self) -> int:
        return max(0, round((self.started_at - self.due_at).total_seconds() * 1000))

    def finish(
        self, *, outcome: str, now, http_status: int | None = None, error: str = "", details: dict | None = None
    ) -> None:
        """`details`: error_type, traceback and response_body (workflow.diagnostics.attempt_details)."""
        if self.outcome != AttemptOutcome.IN_PROGRESS:
            raise ValueError(f"{self} has already finished")
        self.outcome = outcome
        self.finished_at = now
        self.http_status = http_status
        # What the shop or an exception said is kept as text, without NUL: PostgreSQL refuses it in a text
        # column, and the attempt could not be recorded at all.
        for name, value in {"error": error, **(details or {})}.items():
            setattr(self, name, value.replace("\x00", "\ufffd") if isinstance(value, str) else value)
        self.duration_ms = max(0, round((now - self.started_at).total_seconds() * 1000))
        self.save(update_fields=["outcome", "finished_at", "http_status", "error", "duration_ms", *(details or {})])


class WebhookDelivery(models.Model):
    """A callback from the shop that the app has processed. Its delivery id makes a replay visible."""

    delivery_id = models.CharField(max_length=100, unique=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="webhook_deliveries")
    received_at = models.DateTimeField()
    signed_at = models.DateTimeField()
    outcome = models.CharField(max_length=100)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.delivery_id}: {self.outcome}"


class WorkflowSettings(SingletonModel):
    """The engine's settings that staff change at run time (one row). Kept in the database, so web and
    workers agree on them without a restart."""

    store_mode = models.CharField(max_length=5, choices=StoreMode.choices, default=StoreMode.ASYNC)
    # The engine's policy (workflow.engine_policy); empty: the environment's default.
    max_attempts = models.PositiveSmallIntegerField("attempts", null=True, blank=True)
    backoff_s = models.FloatField("first wait (s)", null=True, blank=True)
    backoff_cap_s = models.FloatField("longest wait (s)", null=True, blank=True)
    shop_timeout_s = models.FloatField("shop timeout (s)", null=True, blank=True)
    callback_deadline_s = models.FloatField("callback deadline (s)", null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "workflow settings"

    def __str__(self):
        return f"store order: {self.get_store_mode_display()}"



def current_store_mode() -> str:
    return WorkflowSettings.load().store_mode


def set_store_mode(mode: str) -> WorkflowSettings:
    settings = WorkflowSettings.load()
    settings.store_mode = StoreMode(mode)
    settings.save(update_fields=["store_mode", "changed_at"])  # not the policy's fields: a change made meanwhile stays
    return settings


class EventKind(models.TextChoices):
    PLACED = "placed", "Order placed, job queued"
    PLACED_SYNC = "placed_sync", "Order placed and stored in the request"
    ATTEMPT_STARTED = "attempt_started", "Attempt started"
    ATTEMPT_FAILED = "attempt_failed", "Attempt failed, retry scheduled"
    ACKNOWLEDGED = "acknowledged", "Acknowledged, waiting for the callback"
    CALLBACK_RECEIVED = "callback_received", "Callback received"
    CALLBACK_LATE = "callback_late", "No callback by the deadline"
    INTERRUPTED = "interrupted", "Attempt interrupted"
    CONFIRMED = "confirmed", "Confirmed"
    FAILED = "failed", "Failed"
    EMAIL_SENT = "email_sent", "Email sent"
    EMAIL_UNDELIVERABLE = "email_undeliverable", "Email undeliverable"
    CANCEL_REQUESTED = "cancel_requested", "Cancellation requested"
    CANCELLED = "cancelled", "Cancelled"
    CANCEL_REFUSED = "cancel_refused", "Too late to cancel"
    CANCELLED_BY_SHOP = "cancelled_by_shop", "Cancelled by the shop (it changed its mind)"
    COMPENSATED = "compensated", "Cancelled at the shop (compensation)"
    RETRIED_BY_ADMIN = "retried_by_admin", "Retried by an admin"


class ExecutionEvent(models.Model):
    """One transaction in an order's life, told from three points of view (the seed's execution table).

    Each row is written inside the transaction it describes, so the table is what happened, recorded as the
    order moved, never reconstructed afterwards; a rolled-back transaction leaves no row.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    customer_saw = models.CharField(max_length=300)
    engine_did = models.CharField(max_length=300)
    database_holds = models.CharField(max_length=300)

    class Meta:
        ordering = ["order", "at", "pk"]

    def __str__(self):
        return f"{self.order.short_id} {self.at:%H:%M:%S.%f}: {self.get_kind_display()}"


class WaitOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Order accepted"
    ERROR = "error", "Error shown"


class CustomerWait(models.Model):
    """How long one customer waited for the order form's answer, and what they got: the trainer's
    measurement of the two store modes, written by the process (workflow.start), read by trainer.stats.

    Written in the order's own transaction when the order is placed (one commit for both), and after it when
    that transaction rolled back, so it is kept then too (a synchronous order whose shop call failed leaves
    no order, but the customer did wait and see an error).
    """

    mode = models.CharField(max_length=5, choices=StoreMode.choices)
    source = models.CharField(max_length=10, default="form", help_text="form, api, or batch (the trainer's made-up customers)")
    started_at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=WaitOutcome.choices)
    error = models.CharField(max_length=300, blank=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        # The table keeps the name it had when the model lived in orders (migrations orders 0006 and
        # workflow 0008 moved the model, not the rows).
        db_table = "orders_customerwait"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.mode} {self.outcome} after {self.duration_ms} ms"


class Source(models.TextChoices):
    """Who placed an order: each has its own rule for a key it reuses (workflow.idempotency)."""

    FORM = "form", "Order form"
    API = "api", "Order API"
    BATCH = "batch", "Batch"  # the trainer's made-up customers, and bulk imports (a key per batch and row)


class IdempotencyRecord(models.Model):
    """One client's key for one request, as Stripe's API keeps it: who sent it, the key, a fingerprint of the
    request, and the order it placed. Written by workflow.start.place_order in the order's own transaction, so
    a record never points at an order that was rolled back. A record without an order: the request was sent
    to the shop in the synchronous mode and its answer was lost (nothing kept here, the shop may hold it), so
    the key is spent on that request's content.
    """

    source = models.CharField(max_length=10, choices=Source.choices)
    key = models.CharField(max_length=255, help_text="The client's key (the form's submission id, the API's Idempotency-Key).")
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the request, as its source reads it.")
    order = models.OneToOneField(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="idempotency_record"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="one_record_per_source_and_key")]

    def __str__(self):
        return f"{self.source} {self.key} → {self.order.short_id if self.order else 'not kept'}"


class QueueProbe(models.Model):
    """The queue probe's record (one row): the probe last sent through django-q2's broker and the last one
    that came back (workflow.queue_probe). In the database so that the cluster that sends, the worker that
    answers and the web process that reports all read the same row, with either broker."""

    sent_id = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What finds the probe in the broker while it waits there: the OrmQ row's id, or the Redis list entry.
    broker_entry = models.TextField(blank=True)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    returned_id = models.CharField(max_length=32, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    round_trip_s = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "queue probe"

    def __str__(self):
        return f"queue probe {self.sent_id or '(none sent)'}"

    @property
    def outstanding(self) -> bool:
        return bool(self.sent_id) and self.sent_id != self.returned_id

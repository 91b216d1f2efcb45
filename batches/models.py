"""Bulk orders: a batch as it came in (staged rows), and what became of each row.

A batch is staged in one transaction (the batch and all its rows in one bulk insert) and answered at once;
the transform (batches.transform) turns its rows into orders in the background, chunk by chunk.
"""

import uuid

from django.db import models
from django.urls import reverse
from django.utils import timezone

from orders.models import FINAL_STATUSES, Order, OrderStatus


class BatchStatus(models.TextChoices):
    STAGED = "staged", "Staged (waiting for the transform)"
    PROCESSING = "processing", "Processing"  # rows being placed, or placed orders not final yet
    DONE = "done", "Done"  # every row's order is final, and every one confirmed
    DONE_WITH_ERRORS = "done_with_errors", "Done with errors"  # final, with invalid rows or orders not confirmed


FINAL_BATCH_STATUSES = frozenset({BatchStatus.DONE, BatchStatus.DONE_WITH_ERRORS})


class BatchFormat(models.TextChoices):
    JSON = "json", "JSON"
    CSV = "csv", "CSV"


class RowStatus(models.TextChoices):
    STAGED = "staged", "Staged"
    PLACED = "placed", "Placed"  # an order was placed for it (see `order`)
    INVALID = "invalid", "Invalid"  # kept with its errors; no order


class OrderBatch(models.Model):
    """One bulk request: its rows, its transform's progress and where to announce that it is final."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    body_hash = models.CharField(max_length=64, help_text="SHA-256 of the request's body.")
    format = models.CharField(max_length=4, choices=BatchFormat.choices)
    source = models.CharField(max_length=20, default="api", help_text="Who sent it: the API, a staff upload.")
    callback_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=BatchStatus.choices, default=BatchStatus.STAGED, db_index=True)
    row_count = models.PositiveIntegerField()
    chunks_done = models.PositiveIntegerField(
        default=0, help_text="Chunks of rows the transform has placed; chunk n runs only while this is n."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="The transform's first chunk.")
    transformed_at = models.DateTimeField(null=True, blank=True, help_text="Every row placed or found invalid.")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Every row final: the callback is sent.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "order batch"
        verbose_name_plural = "order batches"

    def __str__(self):
        return f"batch {str(self.public_id)[:8]} ({self.row_count} rows, {self.status})"

    def get_absolute_url(self):
        return reverse("batches:detail", kwargs={"public_id": self.public_id})

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_BATCH_STATUSES

    def counts(self) -> dict:
        """rows, placed, invalid, confirmed, failed, cancelled, open: one query."""
        by_row = {RowStatus.STAGED: 0, RowStatus.PLACED: 0, RowStatus.INVALID: 0}
        by_order = {status: 0 for status in OrderStatus}
        for row_status, order_status, count in (
            self.rows.values_list("status", "order__status").annotate(count=models.Count("pk")).order_by()
        ):
            by_row[row_status] += count
            if order_status:
                by_order[order_status] += count
        final = sum(by_order[status] for status in FINAL_STATUSES)
        return {
            "rows": self.row_count,
            "staged": by_row[RowStatus.STAGED],
            "placed": by_row[RowStatus.PLACED],
            "invalid": by_row[RowStatus.INVALID],
            "confirmed": by_order[OrderStatus.CONFIRMED],
            "failed": by_order[OrderStatus.FAILED],
            "cancelled": by_order[OrderStatus.CANCELLED],
            "open": by_row[RowStatus.PLACED] - final,
        }

    def progress_percent(self, counts: dict | None = None) -> int:
        """How far the batch is: a row counts half when placed, whole when final or invalid."""
        counts = counts or self.counts()
        if not self.row_count:
            return 100
        done = counts["invalid"] + (counts["placed"] - counts["open"]) + counts["open"] / 2
        return min(100, int(100 * done / self.row_count))

    def chunk_done(self, *, transformed: bool) -> None:
        """A chunk of rows is placed (in the chunk's transaction): staged -> processing; `transformed`: the last."""
        now = timezone.now()
        self.chunks_done += 1
        self.status = BatchStatus.PROCESSING
        self.started_at = self.started_at or now
        if transformed:
            self.transformed_at = now
        self.save(update_fields=["chunks_done", "status", "started_at", "transformed_at", "updated_at"])

    def finish(self, counts: dict) -> None:
        """Every row is final: processing -> done or done_with_errors."""
        if self.status != BatchStatus.PROCESSING or self.transformed_at is None or counts["open"] or counts["staged"]:
            raise ValueError(f"{self} is not ready to finish")
        self.status = self.final_status(counts)
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "finished_at", "updated_at"])

    def final_status(self, counts: dict) -> str:
        """What the batch is once every row is final."""
        if counts["invalid"] or counts["placed"] != counts["confirmed"]:
            return BatchStatus.DONE_WITH_ERRORS
        return BatchStatus.DONE


class BatchRow(models.Model):
    """One row of a batch, as it came (`data`), and what the transform made of it."""

    batch = models.ForeignKey(OrderBatch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="1 for the first order (JSON) or the first line after the header (CSV).")
    data = models.JSONField(help_text="The row as sent: an order object (JSON) or the CSV line's fields.")
    status = models.CharField(max_length=10, choices=RowStatus.choices, default=RowStatus.STAGED)
    errors = models.JSONField(default=list, blank=True, help_text='[{"field": ..., "message": ...}]')
    order = models.OneToOneField(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="batch_row")

    class Meta:
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="one_row_per_number")]
        indexes = [models.Index(fields=["batch", "status", "number"], name="batch_rows_to_place")]

    def __str__(self):
        return f"row {self.number} of {self.batch}"

"""Queueing the transform's jobs (core.queue's primitives, each task named by its function)."""

from core.queue import enqueue, ensure_every_minute

from .models import OrderBatch
from .tasks import finish_batch_task, place_chunk_task, requeue_stalled_batches_task

SWEEP_NAME = "requeue stalled batches"


def batch_group(public_id) -> str:
    """All django-q2 tasks of one batch share this group (its notification's too: the delivery's subject), so
    the admin can list them together."""
    return f"batch {public_id}"


def enqueue_chunk(batch: OrderBatch, chunk: int) -> None:
    """Queue chunk `chunk` of the batch's transform (in the caller's transaction with the ORM broker)."""
    enqueue(place_chunk_task, batch.pk, chunk, group=batch_group(batch.public_id), name=f"batch {str(batch.public_id)[:8]} chunk {chunk}")


def enqueue_finish_check(batch_id: int, public_id) -> None:
    """Queue the check whether the batch is final (by ids: the order_finalised receiver has no batch at hand)."""
    enqueue(finish_batch_task, batch_id, group=batch_group(public_id), name=f"batch {str(public_id)[:8]} final?")


def ensure_batch_sweep():
    """The every-minute safety net (batches.transform.requeue_stalled_batches); prepare creates it."""
    return ensure_every_minute(SWEEP_NAME, requeue_stalled_batches_task)

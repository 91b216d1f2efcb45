"""The transform: a staged batch's rows become orders, chunk by chunk, through the same place_order as a
single order; the batch is final once every row is (its order final, or the row invalid).

Chunk n is one short task and one transaction: lock the batch, check that n is the chunk due
(`chunks_done == n`), place up to BATCH_CHUNK_ROWS staged rows (each order with its store-order job, as from
the form), mark the rows, count the chunk done and queue chunk n + 1, then commit, all or nothing. So

- a worker killed in the middle leaves nothing of its chunk: django-q2 re-delivers the task (or the sweep
  queues it again) and the chunk runs again, whole;
- a duplicate of chunk n finds `chunks_done` past n and does nothing, so a chain never forks;
- each row's client key is `<batch id>:<row>`: place_order keeps its idempotency record (workflow.idempotency)
  and derives the order's shop key from it, so a row placed again by some path we did not foresee returns the
  order it placed, and would reach the shop under the same key anyway;
- the next chunk is queued behind the store-order jobs this chunk queued: the queue stays first come, first
  served, and a single customer's order queued meanwhile waits for at most about one chunk's jobs.
"""

from datetime import timedelta

import pydantic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api.notifications import queue_callback
from api.schemas import OrderIn
from api.services import OrderRejected, clean_order_body, model_rejection
from orders.models import Order, StoreMode
from workflow.engine_policy import current_mode_and_policy
from workflow.idempotency import IdempotencyKeyReused, Source
from workflow.start import place_order

from .models import BatchFormat, BatchRow, BatchStatus, OrderBatch, RowStatus
from .queue import batch_group, enqueue_chunk, enqueue_finish_check

# A batch that has not moved for this long has lost its job (a Redis push after commit that never happened,
# a task django-q2 gave up on): the sweep queues it again. A duplicate is harmless.
GRACE = timedelta(seconds=60)
# The CSV's columns as the API's fields (the errors of a CSV row name its columns).
CSV_COLUMNS = {"pizza": "pizza", "size": "size", "quantity": "quantity",
               "customer.name": "name", "customer.email": "email", "customer.address": "address"}


def shop_client_key(batch: OrderBatch, row: BatchRow) -> str:
    """The row's own key (workflow.idempotency turns it into the order's key at the shop)."""
    return f"{batch.public_id}:{row.number}"


def place_chunk(batch_id: int, chunk: int) -> str:
    """Place chunk `chunk` of the batch's rows, if it is the one due; say what was done."""
    with transaction.atomic():
        batch = OrderBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            return "no such batch"
        if batch.chunks_done != chunk or batch.transformed_at:
            return f"chunk {chunk} was done before"
        rows = list(batch.rows.filter(status=RowStatus.STAGED).order_by("number")[: settings.BATCH_CHUNK_ROWS])
        _mode, policy = current_mode_and_policy()  # one read for the chunk
        for row in rows:
            _transform_row(batch, row, policy)
        BatchRow.objects.bulk_update(rows, ["status", "errors", "order"])
        more = len(rows) == settings.BATCH_CHUNK_ROWS and batch.rows.filter(status=RowStatus.STAGED).exists()
        batch.chunk_done(transformed=not more)
        if more:
            enqueue_chunk(batch, chunk + 1)
        else:
            enqueue_finish_check(batch.pk, batch.public_id)  # after this commits: every order may be final already
    placed = sum(row.status == RowStatus.PLACED for row in rows)
    return f"chunk {chunk}: {placed} placed, {len(rows) - placed} invalid" + ("" if more else ", the last")


def _transform_row(batch: OrderBatch, row: BatchRow, policy) -> None:
    try:
        fields = row_fields(batch, row)
        # Always a background job: the worker placing the batch must not wait for the shop (store mode sync
        # is the form's experiment, not the batch's).
        row.order = place_order(
            **fields, mode=StoreMode.ASYNC, policy=policy, source=Source.BATCH, client_key=shop_client_key(batch, row),
        ).order  # replayed or not: a re-run of the row finds the order its key placed
    except IdempotencyKeyReused:
        # Cannot happen while a row's data stays as staged; said on the row rather than failing the chunk for ever.
        row.status, row.errors = RowStatus.INVALID, [{"field": None, "message": "This row's key placed another order before."}]
        return
    except OrderRejected as rejection:
        row.status, row.errors = RowStatus.INVALID, _errors(batch, rejection.errors)
        return
    except ValidationError as error:
        row.status, row.errors = RowStatus.INVALID, _errors(batch, model_rejection(error).errors)
        return
    row.status, row.errors = RowStatus.PLACED, []


def row_fields(batch: OrderBatch, row: BatchRow) -> dict:
    """The row's order fields for place_order, by the API's rules; raises OrderRejected naming the fields."""
    data = row.data
    if batch.format == BatchFormat.CSV:
        if "_columns" in data:
            raise OrderRejected([(None, f"The line has {data['_columns']} fields; the header has 6.")])
        body = {"pizza": data["pizza"], "size": data["size"], "quantity": data["quantity"],
                "customer": {"name": data["name"], "email": data["email"], "address": data["address"]}}
        return clean_order_body(body)
    if not isinstance(data, dict):
        raise OrderRejected([(None, "A row must be a JSON object: an order, as the body of POST /api/orders.")])
    try:
        body = OrderIn.model_validate(data).model_dump()
    except pydantic.ValidationError as error:
        raise OrderRejected([(".".join(str(part) for part in e["loc"]) or None, e["msg"]) for e in error.errors()]) from None
    return clean_order_body(body)


def _errors(batch: OrderBatch, errors: list[tuple[str | None, str]]) -> list[dict]:
    names = CSV_COLUMNS if batch.format == BatchFormat.CSV else {}
    return [{"field": names.get(field, field), "message": message} for field, message in errors]


def note_final_order(sender, *, order: Order, **kwargs) -> None:
    """Receiver of orders.signals.order_finalised (BatchesConfig.ready()): when an order of a batch is final
    and, as this transaction sees it, the last open one of its batch, check the batch once this commits."""
    batch = OrderBatch.objects.filter(rows__order=order).values("pk", "public_id", "transformed_at").first()
    if batch is None or batch["transformed_at"] is None:
        return  # not a batch's order; or rows still to place: the last chunk checks
    if not Order.objects.filter(batch_row__batch_id=batch["pk"]).open().exclude(pk=order.pk).exists():
        enqueue_finish_check(batch["pk"], batch["public_id"])


def finish_if_final(batch_id: int) -> OrderBatch | None:
    """Make the batch final if every row is, and queue its notification in the same transaction; the batch,
    or None if it is not final yet or was finished before."""
    with transaction.atomic():
        batch = OrderBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.is_final or batch.transformed_at is None:
            return None
        counts = batch.counts()
        if counts["open"] or counts["staged"]:
            return None
        batch.finish(counts)
        if batch.callback_url:
            queue_callback(subject=batch_group(batch.public_id), url=batch.callback_url, body=notification_body(batch, counts))
    return batch


def notification_body(batch: OrderBatch, counts: dict) -> dict:
    return {
        "id": str(batch.public_id), "status": batch.status, "rows": counts["rows"], "placed": counts["placed"],
        "invalid": counts["invalid"], "confirmed": counts["confirmed"], "failed": counts["failed"],
        "cancelled": counts["cancelled"], "finished_at": batch.finished_at.isoformat(),
    }


def requeue_stalled_batches(now=None) -> int:
    """Every minute: queue again the chunk of a batch that has not moved for GRACE, and the final check of a
    transformed batch that is not final yet (harmless repeats: see the module's docstring)."""
    now = now or timezone.now()
    count = 0
    stalled = OrderBatch.objects.filter(
        status__in=[BatchStatus.STAGED, BatchStatus.PROCESSING], updated_at__lt=now - GRACE
    )
    for batch in stalled:
        if batch.transformed_at is None:
            enqueue_chunk(batch, batch.chunks_done)
        else:
            enqueue_finish_check(batch.pk, batch.public_id)
        count += 1
    return count

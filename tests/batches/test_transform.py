"""The transform, called directly: rows become orders through place_order, chunk by chunk; bad rows are
kept with their errors; a chunk is all or nothing, and never runs twice; the batch is final once every row
is, and announces it, signed, at its callback_url."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from api.models import CallbackDelivery
from api.notifications import deliver_callback
from batches import transform
from batches.models import BatchStatus, OrderBatch, RowStatus
from batches.staging import stage_batch
from batches.transform import finish_if_final, place_chunk, requeue_stalled_batches
from orders.models import Order, OrderStatus
from workflow.idempotency import Source, shop_key_for
from workflow.outcomes import confirm_order

from ..api.receiver import CallbackReceiver
from .helpers import BAD_FIELDS, batch_rows, csv_text

pytestmark = pytest.mark.django_db


def stage(rows, **kwargs) -> OrderBatch:
    return stage_batch(json.dumps({"orders": rows, **kwargs}).encode(), content_type="application/json").batch


def run_every_chunk(batch) -> list[str]:
    said = []
    while not OrderBatch.objects.get(pk=batch.pk).transformed_at:
        said.append(place_chunk(batch.pk, OrderBatch.objects.get(pk=batch.pk).chunks_done))
        assert len(said) < 100
    return said


def test_valid_rows_become_orders_and_bad_rows_keep_their_errors(client, menu, settings):
    settings.BATCH_CHUNK_ROWS = 4
    batch = stage(batch_rows(10, bad={3, 4, 5, 6}))

    said = run_every_chunk(batch)

    assert said == ["chunk 0: 2 placed, 2 invalid", "chunk 1: 2 placed, 2 invalid", "chunk 2: 2 placed, 0 invalid, the last"]
    batch.refresh_from_db()
    assert (batch.status, batch.chunks_done) == (BatchStatus.PROCESSING, 3)
    placed = batch.rows.filter(status=RowStatus.PLACED).select_related("order")
    assert [row.number for row in placed] == [1, 2, 7, 8, 9, 10]
    for row in placed:  # the order is the row, under a key derived from the batch and the row
        assert row.order.customer_email == f"guest{row.number}@example.com"
        assert row.order.idempotency_key == shop_key_for(Source.BATCH, f"{batch.public_id}:{row.number}")
        assert row.order.status == OrderStatus.RECEIVED
    answer = client.get(f"/api/order-batches/{batch.public_id}").json()
    assert [(e["row"], e["field"]) for e in answer["errors"]] == [(n, BAD_FIELDS[n % 4]) for n in (3, 4, 5, 6)]
    assert all(e["message"] for e in answer["errors"])
    assert [o["row"] for o in answer["orders"]] == [1, 2, 7, 8, 9, 10]
    assert {k: answer[k] for k in ("status", "rows", "placed", "invalid", "confirmed", "open")} == {
        "status": "processing", "rows": 10, "placed": 6, "invalid": 4, "confirmed": 0, "open": 6}


def test_csv_rows_are_checked_by_the_same_rules_and_name_their_columns(menu):
    rows = batch_rows(3, bad={2})
    text = csv_text(rows) + "margherita,large,1,Too Few\n"
    batch = stage_batch(text.encode(), content_type="text/csv").batch

    run_every_chunk(batch)

    errors = {row.number: row.errors for row in batch.rows.filter(status=RowStatus.INVALID)}
    assert [e["field"] for e in errors[2]] == ["quantity"]
    assert errors[4] == [{"field": None, "message": "The line has 4 fields; the header has 6."}]
    assert batch.rows.filter(status=RowStatus.PLACED).count() == 2


def test_a_chunk_runs_once_however_often_its_job_comes(menu, settings):
    settings.BATCH_CHUNK_ROWS = 5
    batch = stage(batch_rows(12))

    assert place_chunk(batch.pk, 0) == "chunk 0: 5 placed, 0 invalid"
    assert place_chunk(batch.pk, 0) == "chunk 0 was done before"  # a duplicate, or a re-delivery after it committed
    assert place_chunk(batch.pk, 2) == "chunk 2 was done before"  # not due yet: chunk 1 comes first
    run_every_chunk(batch)

    assert Order.objects.count() == 12
    assert sorted(batch.rows.values_list("order__customer_email", flat=True)) == sorted(
        f"guest{n}@example.com" for n in range(1, 13))


def test_a_chunk_that_breaks_in_the_middle_leaves_nothing_and_its_rerun_places_each_row_once(menu, settings, monkeypatch):
    settings.BATCH_CHUNK_ROWS = 10
    batch = stage(batch_rows(10))
    real_place_order, calls = transform.place_order, []

    def dies_at_the_sixth(**fields):
        calls.append(fields["client_key"])
        if len(calls) == 6:
            raise SystemExit("the worker is killed")  # not an Exception: nothing of ours catches it
        return real_place_order(**fields)

    monkeypatch.setattr(transform, "place_order", dies_at_the_sixth)
    with pytest.raises(SystemExit):
        place_chunk(batch.pk, 0)
    assert not Order.objects.exists() and batch.rows.filter(status=RowStatus.STAGED).count() == 10

    monkeypatch.setattr(transform, "place_order", real_place_order)
    assert place_chunk(batch.pk, 0) == "chunk 0: 10 placed, 0 invalid, the last"
    assert Order.objects.count() == 10
    assert len(set(Order.objects.values_list("idempotency_key", flat=True))) == 10


def test_the_batch_is_final_when_every_row_is_and_says_so_signed(menu, settings):
    settings.API_CALLBACK_ALLOWED_HOSTS = ["127.0.0.1"]
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET) as receiver:
        batch = stage(batch_rows(4, bad={4}), callback_url=receiver.url)
        run_every_chunk(batch)
        orders = [row.order for row in batch.rows.filter(status=RowStatus.PLACED).order_by("number")]
        now = timezone.now()
        for order in orders[:2]:
            order.begin_attempt(now=now)
            order.confirm(shop_order_id=f"SHOP-{order.pk}", now=now)
        assert finish_if_final(batch.pk) is None  # one order is still open
        orders[2].begin_attempt(now=now)
        orders[2].fail(reason="the shop refused it", now=now)

        assert finish_if_final(batch.pk).status == BatchStatus.DONE_WITH_ERRORS
        assert finish_if_final(batch.pk) is None  # finished once
        [delivery] = CallbackDelivery.objects.filter(subject=f"batch {batch.public_id}")
        deliver_callback(delivery.pk)

        [notice] = receiver.requests()
    assert notice.signature_ok and notice.answered == 204
    body = notice.json()
    assert {k: body[k] for k in ("id", "status", "rows", "placed", "invalid", "confirmed", "failed")} == {
        "id": str(batch.public_id), "status": "done_with_errors", "rows": 4, "placed": 3, "invalid": 1,
        "confirmed": 2, "failed": 1}


def test_a_batch_whose_every_order_is_confirmed_is_done(menu):
    batch = stage(batch_rows(2))
    run_every_chunk(batch)
    for row in batch.rows.all():
        row.order.begin_attempt(now=timezone.now())
        row.order.confirm(shop_order_id="SHOP", now=timezone.now())
    assert finish_if_final(batch.pk).status == BatchStatus.DONE
    assert not CallbackDelivery.objects.exists()  # no callback_url, no notification


def test_the_last_order_to_be_final_queues_the_batch_check(menu):
    batch = stage(batch_rows(2))
    run_every_chunk(batch)
    OrmQ.objects.all().delete()
    first, second = (row.order for row in batch.rows.order_by("number"))
    for order in (first, second):
        order.begin_attempt(now=timezone.now())
    confirm_order(first, shop_order_id="A", now=timezone.now(), engine="test")
    names = lambda: [task.name() for task in OrmQ.objects.all()]  # noqa: E731
    assert not any("final?" in name for name in names())
    confirm_order(second, shop_order_id="B", now=timezone.now(), engine="test")
    assert any("final?" in name for name in names())


def test_the_sweep_queues_a_stalled_batch_again(menu):
    batch = stage(batch_rows(3))
    OrmQ.objects.all().delete()  # the job was lost
    assert requeue_stalled_batches() == 0  # not stalled yet
    assert requeue_stalled_batches(now=timezone.now() + transform.GRACE * 2) == 1
    [task] = OrmQ.objects.all()
    assert task.task["args"] == (batch.pk, 0)


def test_a_lost_batch_notification_is_sent_by_the_notification_sweep(menu):
    from api.notifications import queue_callback
    from api.recovery import requeue_stalled_notifications

    queue_callback(subject="batch 1234", url="http://127.0.0.1:9/hook", body={"status": "done"})
    queue_callback(subject="batch 1234", url="http://127.0.0.1:9/hook", body={"status": "done"})
    assert CallbackDelivery.objects.filter(subject="batch 1234").count() == 1  # a second call finds the first
    OrmQ.objects.all().delete()  # its job was lost (a Redis push after commit that never happened)

    assert requeue_stalled_notifications(now=timezone.now() + timedelta(minutes=5)) == 1
    [task] = OrmQ.objects.all()
    assert task.task["group"] == "batch 1234" and task.task["func"] == "api.tasks.deliver_callback_task"

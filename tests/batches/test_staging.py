"""POST /api/order-batches: staged at once in one bulk insert, answered 202; limits and bad bodies refused
with a JSON error naming what is wrong, and nothing kept."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import OrmQ

from batches.models import BatchRow, BatchStatus, OrderBatch
from orders.models import Order

from .helpers import CSV_HEADER, batch_rows, csv_text, post_batch

pytestmark = pytest.mark.django_db


def named(response) -> list:
    return [error["field"] for error in response.json()["errors"]]


def test_a_batch_is_staged_and_answered_at_once(client, menu):
    with CaptureQueriesContext(connection) as queries:
        response = post_batch(client, batch_rows(300), key="caterer-1")

    assert response.status_code == 202, response.content
    body = response.json()
    batch = OrderBatch.objects.get()
    assert body == {"id": str(batch.public_id), "status": "staged", "rows": 300,
                    "status_url": f"http://testserver/api/order-batches/{batch.public_id}"}
    assert response["Location"] == body["status_url"]
    assert list(batch.rows.values_list("number", flat=True)) == list(range(1, 301))
    assert batch.rows.get(number=7).data["customer"]["email"] == "guest7@example.com"
    assert not Order.objects.exists()  # staging only: the transform places them
    assert OrmQ.objects.count() == 1  # the transform's first chunk, committed with the rows
    # One bulk insert of the rows (SQLite takes at most 999 parameters a statement: 166 rows of 6).
    row_inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "batches_batchrow"')]
    assert len(row_inserts) == 2
    assert len(queries) <= 15


def test_the_same_key_again_answers_the_same_batch_and_another_body_is_refused(client, menu):
    first = post_batch(client, batch_rows(5), key="caterer-2")
    again = post_batch(client, batch_rows(5), key="caterer-2")
    other = post_batch(client, batch_rows(6), key="caterer-2")

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == first.json()
    assert other.status_code == 422 and named(other) == ["Idempotency-Key"]
    assert OrderBatch.objects.count() == 1 and BatchRow.objects.count() == 5


def test_a_csv_is_staged_with_its_rows(client, menu):
    text = csv_text(batch_rows(4)) + "\n"  # a blank last line is no row
    response = post_batch(client, raw=text, content_type="text/csv", query="?callback_url=http://127.0.0.1:9/hook")

    assert response.status_code == 202, response.content
    batch = OrderBatch.objects.get()
    assert (batch.format, batch.row_count, batch.callback_url) == ("csv", 4, "http://127.0.0.1:9/hook")
    assert batch.rows.get(number=2).data == {"pizza": "margherita", "size": "large", "quantity": "3",
                                             "name": "Guest 2", "email": "guest2@example.com", "address": "2 Banquet Hall"}


@pytest.mark.parametrize("limit, rows, size, field", [
    ("BATCH_MAX_ROWS", 5, 6, "BATCH_MAX_ROWS"),
    ("BATCH_MAX_BYTES", 2_000, 20, "BATCH_MAX_BYTES"),
])
def test_each_limit_is_refused_naming_it_and_nothing_is_kept(client, menu, settings, limit, rows, size, field):
    setattr(settings, limit, rows)
    response = post_batch(client, batch_rows(size))

    assert response.status_code == 413
    assert named(response) == [field]
    assert f"{rows:,}" in response.json()["message"]
    assert not OrderBatch.objects.exists() and not OrmQ.objects.exists()


def test_the_csv_limit_on_rows_counts_its_lines(client, menu, settings):
    settings.BATCH_MAX_ROWS = 3
    response = post_batch(client, raw=csv_text(batch_rows(4)), content_type="text/csv")
    assert response.status_code == 413 and named(response) == ["BATCH_MAX_ROWS"]


@pytest.mark.parametrize("raw, content_type, status, field", [
    ('{"orders": []}', "application/json", 422, "orders"),
    ('{"orders": {}}', "application/json", 422, "orders"),
    ('{"rows": []}', "application/json", 422, "rows"),
    ('[{"pizza": "margherita"}]', "application/json", 400, None),
    ('{"orders": [NaN]}', "application/json", 400, None),
    ("pizza;size;quantity\nmargherita;large;1\n", "text/csv", 422, "header"),
    (CSV_HEADER + "\n", "text/csv", 422, "body"),
    ("pizza please", "text/plain", 415, None),
    ('{"orders": [{}], "callback_url": "http://10.1.2.3/hook"}', "application/json", 422, "callback_url"),
    ('{"orders": [{}], "callback_url": "ftp://example.com/hook"}', "application/json", 422, "callback_url"),
    ('{"orders": [{}], "callback_url": 7}', "application/json", 422, "callback_url"),
])
def test_a_bad_body_gets_a_clear_error_and_nothing_is_kept(client, menu, settings, raw, content_type, status, field):
    settings.API_CALLBACK_ALLOW_PRIVATE = False  # as the app runs by default (the suite turns it on for its receivers)
    response = post_batch(client, raw=raw, content_type=content_type)

    assert response.status_code == status, response.content
    assert response.json()["message"]
    assert named(response) == ([field] if field else [])
    assert not OrderBatch.objects.exists()


def test_a_bad_row_does_not_refuse_the_batch(client, menu):
    response = post_batch(client, [{"pizza": 3}, "not even an object", batch_rows(1)[0]])
    assert response.status_code == 202
    assert OrderBatch.objects.get().status == BatchStatus.STAGED


def test_an_unknown_batch_is_404(client, db):
    for batch_id in ("8a8f1c7e-0000-4000-8000-000000000000", "not-a-uuid"):
        response = client.get(f"/api/order-batches/{batch_id}")
        assert response.status_code == 404 and response.json()["message"] == "No batch has this id."

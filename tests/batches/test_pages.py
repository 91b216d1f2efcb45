"""The staff pages of bulk orders (Django's test client; the browser test follows a real batch)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from batches.models import BatchStatus, OrderBatch
from batches.transform import finish_if_final, place_chunk

from .helpers import batch_rows, csv_text

pytestmark = pytest.mark.django_db


def upload(client, text: str, **fields):
    return client.post("/batches/", {"file": SimpleUploadedFile("guests.csv", text.encode(), "text/csv"), **fields})


def test_the_pages_are_for_staff_only(client, menu):
    for url in ("/batches/", "/batches/8a8f1c7e-0000-4000-8000-000000000000/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert upload(client, csv_text(batch_rows(2))).status_code == 302
    assert not OrderBatch.objects.exists()


def test_an_upload_is_staged_and_leads_to_the_batch_page(admin_client, menu):
    response = upload(admin_client, csv_text(batch_rows(3)), submission="6f9d0d3e-9a55-4c58-9d0e-3f3b8a1d2c10")
    batch = OrderBatch.objects.get()
    assert response.status_code == 303 and response["Location"] == batch.get_absolute_url()
    assert (batch.source, batch.row_count) == ("staff upload", 3)
    # The same form sent twice (a double click) stages one batch.
    again = upload(admin_client, csv_text(batch_rows(3)), submission="6f9d0d3e-9a55-4c58-9d0e-3f3b8a1d2c10")
    assert again["Location"] == batch.get_absolute_url() and OrderBatch.objects.count() == 1

    page = admin_client.get(batch.get_absolute_url()).content.decode()
    assert 'data-batch-status="staged"' in page and 'hx-trigger="every 1s"' in page


def test_a_bad_file_is_refused_beside_the_field(admin_client, menu, settings):
    response = upload(admin_client, "margherita,large,1\n")
    page = response.content.decode()
    assert response.status_code == 422
    assert 'id="file-error"' in page and "pizza,size,quantity,name,email,address" in page
    settings.BATCH_MAX_BYTES = 50
    assert "BATCH_MAX_BYTES" in upload(admin_client, csv_text(batch_rows(3))).content.decode()
    assert not OrderBatch.objects.exists()


def test_the_progress_partial_stops_polling_once_the_batch_is_final(admin_client, menu):
    upload(admin_client, csv_text(batch_rows(2, bad={1, 2})))
    batch = OrderBatch.objects.get()
    partial = admin_client.get(batch.get_absolute_url(), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and 'value="0"' in partial.content.decode()
    place_chunk(batch.pk, 0)
    assert finish_if_final(batch.pk).status == BatchStatus.DONE_WITH_ERRORS
    partial = admin_client.get(batch.get_absolute_url(), headers={"HX-Request": "true"})
    assert partial.status_code == 286 and 'value="100"' in partial.content.decode()
    page = admin_client.get(batch.get_absolute_url()).content.decode()
    # Each row's error with the CSV column to blame.
    assert "<td>1</td><td>email</td>" in page and "<td>2</td><td>quantity</td>" in page


def test_the_admin_lists_a_batch_with_its_invalid_rows_and_all_its_rows(admin_client, menu):
    upload(admin_client, csv_text(batch_rows(4, bad={2})))
    batch = OrderBatch.objects.get()
    place_chunk(batch.pk, 0)
    change = admin_client.get(f"/admin/batches/orderbatch/{batch.pk}/change/").content.decode()
    assert "all 4 rows, with their orders" in change and "Invalid rows" in change
    rows = admin_client.get(f"/admin/batches/batchrow/?batch__id__exact={batch.pk}")
    assert rows.status_code == 200 and "4 batch rows" in rows.content.decode()

"""The `catering` scenario: a flaky shop and a caterer's 500-row CSV batch with 5 bad rows."""

import pytest
from django.core.management import call_command

from batches.models import OrderBatch, RowStatus
from batches.transform import place_chunk

pytestmark = pytest.mark.django_db


def test_catering_stages_a_500_row_batch_with_five_bad_rows_against_a_flaky_shop(shop, menu, capsys):
    call_command("scenario", "catering")

    assert shop.settings()["failure_rate"] == 0.2
    batch = OrderBatch.objects.get()
    assert (batch.row_count, batch.format, batch.source, batch.status) == (500, "csv", "trainer", "staged")
    assert "500 rows is staged" in capsys.readouterr().out
    while not OrderBatch.objects.get(pk=batch.pk).transformed_at:
        place_chunk(batch.pk, OrderBatch.objects.get(pk=batch.pk).chunks_done)
    invalid = batch.rows.filter(status=RowStatus.INVALID).order_by("number")
    assert [(row.number, row.errors[0]["field"]) for row in invalid] == [
        (100, "size"), (200, "email"), (300, "quantity"), (400, "pizza"), (500, "address")]
    assert batch.rows.filter(status=RowStatus.PLACED).count() == 495


def test_the_trainer_page_offers_catering(admin_client, shop, menu):
    response = admin_client.post("/trainer/scenario/", {"scenario": "catering"}, follow=True)
    assert response.status_code == 200
    assert OrderBatch.objects.get().row_count == 500

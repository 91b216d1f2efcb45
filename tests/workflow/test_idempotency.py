"""The idempotency record place_order keeps for every entry: one row per source and key, written in the
order's transaction, with each source's rule for a key used again (workflow/idempotency.py)."""

import pytest

from orders.models import Order
from workflow.idempotency import IdempotencyKeyReused, Source
from workflow.models import IdempotencyRecord
from workflow.start import place_order

pytestmark = pytest.mark.django_db(transaction=True)


def place(menu, *, source, key, **overrides):
    fields = {"pizza": menu["funghi"], "size": "small", "quantity": 1, "name": "Row 7", "email": "row7@example.com",
              "address": "7 Import Lane", **overrides}
    return place_order(source=source, client_key=key, **fields)


def test_a_batch_row_placed_again_is_the_same_order_and_another_row_under_its_key_is_refused(menu):
    first = place(menu, source=Source.BATCH, key="batch-1:row-7")
    again = place(menu, source=Source.BATCH, key="batch-1:row-7")
    assert (first.replayed, again.replayed) == (False, True) and again.order == first.order
    with pytest.raises(IdempotencyKeyReused) as refused:
        place(menu, source=Source.BATCH, key="batch-1:row-7", quantity=3)
    assert refused.value.order_kept and Order.objects.count() == 1
    [record] = IdempotencyRecord.objects.all()
    assert (record.source, record.key, record.order) == ("batch", "batch-1:row-7", first.order)


def test_sources_do_not_share_keys(menu):
    api = place(menu, source=Source.API, key="k-1")
    batch = place(menu, source=Source.BATCH, key="k-1", quantity=2)
    assert api.order != batch.order and api.order.idempotency_key != batch.order.idempotency_key


def test_nothing_is_recorded_when_the_order_is_rolled_back(menu, monkeypatch):
    def broken_queue(*args, **kwargs):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr("core.queue.async_task", broken_queue)
    with pytest.raises(ConnectionError):
        place(menu, source=Source.BATCH, key="batch-2:row-1")
    assert IdempotencyRecord.objects.count() == 0 and Order.objects.count() == 0


def test_a_form_opened_before_the_records_existed_and_sent_again_is_its_earlier_order(menu):
    # An order placed by a release that kept no record: its shop key is all that says which submission it was.
    earlier = place(menu, source=Source.FORM, key="submission-before-upgrade").order
    IdempotencyRecord.objects.all().delete()
    again = place(menu, source=Source.FORM, key="submission-before-upgrade")
    assert (again.replayed, again.order) == (True, earlier) and Order.objects.count() == 1

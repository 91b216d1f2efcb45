"""A caterer's batch through a real django-q2 cluster, the real shop simulator and a real SMTP server: staged
at once, placed in chunks by the workers, every valid row confirmed once, every customer mailed once, the
batch announced once, signed. The same batch again changes nothing; a cluster killed in the middle of the
transform places no row twice and forgets none."""

import pytest

from batches.models import BatchStatus, OrderBatch, RowStatus
from orders.models import Order, OrderStatus

from ..api.receiver import CallbackReceiver
from ..batches.helpers import BAD_FIELDS, batch_rows, post_batch
from ..factories import ORDER_FORM
from ..support.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

# 300 rows are 12 chunks of BATCH_CHUNK_ROWS (25): enough chunks for a walk-in customer to queue between them.
# Bad rows of each kind (row % 4), in the first chunk, on both sides of chunk boundaries, and the last row.
ROWS = 300
BAD_ROWS = {7, 100, 101, 150, 199, 200, 250, 277, 298, 300}
GOOD = ROWS - len(BAD_ROWS)


def wait_for_final_batch(batch_id, timeout):
    wait_until(lambda: OrderBatch.objects.filter(pk=batch_id, status__in=[BatchStatus.DONE, BatchStatus.DONE_WITH_ERRORS]).exists(),
               timeout=timeout, interval=0.5, message="the batch to be final")
    return OrderBatch.objects.get(pk=batch_id)


def what_the_world_holds(shop, smtp) -> dict:
    return {"orders": Order.objects.count(), "ledger": len(shop.ledger(details=False)), "mails": len(smtp.messages),
            "batches": OrderBatch.objects.count()}


def mails_of_this_test(smtp) -> list[str]:
    """The recipients of the batch's guests' and the walk-in customer's mails: an earlier test's order, confirmed
    by the shared cluster just after the SMTP server was emptied, may still send its mail during this test."""
    return sorted(message["To"] for message in smtp.messages
                  if "<guest" in message["To"] or "<walk-in@" in message["To"])


@pytest.mark.slow
def test_a_300_row_batch_with_10_bad_rows_confirms_290_orders_once_each(cluster, client, shop, smtp, settings):
    assert ROWS > 10 * settings.BATCH_CHUNK_ROWS, "the batch must be placed over many chunks"
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET) as receiver:
        accepted = post_batch(client, batch_rows(ROWS, bad=BAD_ROWS), key="caterer-300", callback_url=receiver.url)
        assert accepted.status_code == 202, accepted.content
        batch = OrderBatch.objects.get(public_id=accepted.json()["id"])

        # A customer orders through the form while the batch is being placed.
        wait_until(lambda: batch.rows.filter(status=RowStatus.PLACED).count() >= 50, timeout=60, message="50 rows placed")
        customer = client.post("/", {**ORDER_FORM, "email": "walk-in@example.com"})
        assert customer.status_code == 303
        walk_in = Order.objects.get(customer_email="walk-in@example.com")

        batch = wait_for_final_batch(batch.pk, timeout=600)
        wait_until(lambda: len(mails_of_this_test(smtp)) >= GOOD + 1, timeout=120, message=f"{GOOD + 1} mails")
        wait_until(receiver.accepted, timeout=30, message="the batch's notification")
        # The worker records the delivery once the receiver has answered: wait for the batch to say so.
        answer = wait_until(
            lambda: (reply := client.get(accepted["Location"]).json())["notification"]["state"] == "delivered" and reply,
            timeout=30, message="the notification recorded as delivered",
        )
        assert {k: answer[k] for k in ("status", "rows", "placed", "invalid", "confirmed", "failed", "open")} == {
            "status": "done_with_errors", "rows": ROWS, "placed": GOOD, "invalid": 10, "confirmed": GOOD, "failed": 0, "open": 0}
        assert [(e["row"], e["field"]) for e in answer["errors"]] == [(n, BAD_FIELDS[n % 4]) for n in sorted(BAD_ROWS)]
        assert sorted(o["row"] for o in answer["orders"]) == sorted(set(range(1, ROWS + 1)) - BAD_ROWS)
        assert answer["notification"]["state"] == "delivered"

        batch_orders = Order.objects.filter(batch_row__batch=batch)
        ledger = {entry["idempotency_key"]: entry for entry in shop.ledger(details=False)}
        assert len(ledger) == GOOD + 1  # the batch's orders and the walk-in customer's
        assert {str(key) for key in batch_orders.values_list("idempotency_key", flat=True)} <= set(ledger)
        assert all(entry["received"] == 1 for entry in ledger.values())  # a 0 s shop: every call answered
        assert shop.stats()["duplicate_references"] == 0
        recipients = mails_of_this_test(smtp)
        assert len(recipients) == len(set(recipients)) == GOOD + 1
        [notice] = receiver.requests()
        assert notice.signature_ok and notice.json()["status"] == "done_with_errors"
        assert notice.json()["confirmed"] == GOOD

        # Not starved: the walk-in, queued behind at most about one chunk's jobs, was confirmed long before
        # the batch's last order.
        walk_in.refresh_from_db()
        assert walk_in.status == OrderStatus.CONFIRMED
        last_batch_confirmation = max(batch_orders.values_list("confirmed_at", flat=True))
        assert walk_in.confirmed_at < last_batch_confirmation

        # The same batch again, with its key: the same batch, and nothing changes.
        before = what_the_world_holds(shop, smtp)
        again = post_batch(client, batch_rows(ROWS, bad=BAD_ROWS), key="caterer-300", callback_url=receiver.url)
        assert again.status_code == 200 and again.json()["id"] == str(batch.public_id)
        # A second batch would have queued its first chunk by now, ahead of the witness's job (the queue is first
        # come, first served): once the witness is confirmed and mailed, that chunk's orders would be here.
        witness = client.post("/", {**ORDER_FORM, "email": "witness@example.com"})
        assert witness.status_code == 303
        wait_until(lambda: smtp.messages_to("witness@example.com"), timeout=60, message="the witness's mail")
        assert what_the_world_holds(shop, smtp) == {**before, "orders": before["orders"] + 1,
                                                     "ledger": before["ledger"] + 1, "mails": before["mails"] + 1}
        assert len(receiver.requests()) == 1


def test_a_cluster_killed_in_the_middle_of_the_transform_places_no_row_twice_and_forgets_none(
    cluster_stopped_for_a_while, client, shop, smtp,
):
    cluster = cluster_stopped_for_a_while
    accepted = post_batch(client, batch_rows(200, bad={13}), key="caterer-killed")
    batch = OrderBatch.objects.get(public_id=accepted.json()["id"])
    # In the middle: some chunks placed, others not yet.
    wait_until(lambda: batch.rows.filter(status=RowStatus.PLACED).count() >= 25, timeout=60, interval=0.02,
               message="a chunk placed")
    cluster.kill_hard()
    placed_when_killed = batch.rows.filter(status=RowStatus.PLACED).count()
    assert placed_when_killed < 199, "the transform was over before the kill: nothing to test"
    cluster.start()

    batch = wait_for_final_batch(batch.pk, timeout=240)

    rows = batch.rows.all()
    assert rows.filter(status=RowStatus.STAGED).count() == 0  # none forgotten
    assert rows.filter(status=RowStatus.PLACED).count() == 199 and rows.filter(status=RowStatus.INVALID).count() == 1
    assert Order.objects.count() == 199  # none placed twice here
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CONFIRMED}
    ledger = shop.ledger(details=False)
    assert len(ledger) == 199  # nor at the shop
    assert sorted(e["idempotency_key"] for e in ledger) == sorted(str(k) for k in Order.objects.values_list("idempotency_key", flat=True))
    assert shop.stats()["duplicate_references"] == 0
    assert batch.status == BatchStatus.DONE_WITH_ERRORS

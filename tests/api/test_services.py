"""Placing an order through the API: one transaction with its job and its key; one order per key, even when
two requests with the key arrive together; the synchronous store mode's errors answer 502/503, not 500."""

import threading

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django_q.models import OrmQ
from django_q.signing import SignedPackage

import api.services
import workflow.start
from api.services import place_api_order
from orders.models import Order, OrderStatus, StoreMode
from workflow.models import CustomerWait, WaitOutcome
from ..task_paths import STORE_ORDER_TASK
from workflow.models import IdempotencyRecord, set_store_mode

from .helpers import order_body, post_order

# transactional_db: these tests are about what really gets committed, so no test-wide wrapping transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def queued_jobs():
    return [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]


def test_a_commit_leaves_the_order_its_one_job_and_its_key(client, menu):
    response = post_order(client, key="one-tx")
    assert response.status_code == 202

    order = Order.objects.get()
    assert [(job["func"], job["args"]) for job in queued_jobs()] == [(STORE_ORDER_TASK, (order.pk,))]
    assert IdempotencyRecord.objects.get().order == order


def test_if_the_job_cannot_be_queued_neither_order_nor_key_is_kept(client, menu, monkeypatch):
    def broken_queue(*args, **kwargs):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr("core.queue.async_task", broken_queue)
    with pytest.raises(ConnectionError):
        place_api_order(body=order_body(), idempotency_key="one-tx-broken")
    assert Order.objects.count() == 0 and IdempotencyRecord.objects.count() == 0

    monkeypatch.undo()  # the queue is back: the client's retry with the same key places the order
    assert post_order(client, key="one-tx-broken").status_code == 202
    assert Order.objects.count() == 1 and len(queued_jobs()) == 1


def test_two_concurrent_requests_with_one_key_place_one_order(menu, monkeypatch):
    # Both requests look the key up (the API's look-up of a repeat) before either has saved it; then both try
    # to place the order: the second finds the key taken when it places, and answers with the first's order.
    both_looked = threading.Barrier(2, timeout=10)
    placed_before = api.services.placed_before

    def look_up_together(*args):
        found = placed_before(*args)
        both_looked.wait()
        return found

    monkeypatch.setattr(api.services, "placed_before", look_up_together)
    answers = [None, None]

    def request(i):
        try:
            answers[i] = post_order(Client(), key="together")
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answer.status_code for answer in answers) == [200, 202]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Order.objects.count() == 1 and len(queued_jobs()) == 1
    assert IdempotencyRecord.objects.get(key="together").order == Order.objects.get()


def test_in_synchronous_mode_a_healthy_shop_confirms_within_the_request(client, menu, shop):
    set_store_mode(StoreMode.SYNC)
    response = post_order(client, key="sync-ok")
    assert response.status_code == 202
    assert response.json()["status"] == OrderStatus.CONFIRMED
    assert [entry["reference"] for entry in shop.ledger()] == [response.json()["id"]]


def test_in_synchronous_mode_a_shop_error_answers_502_and_keeps_nothing(client, menu, shop):
    set_store_mode(StoreMode.SYNC)
    shop.configure(down=True)
    response = post_order(client, key="sync-down")

    assert response.status_code == 502
    assert "nothing was kept" in response.json()["message"]
    assert Order.objects.count() == 0 and IdempotencyRecord.objects.count() == 0 and OrmQ.objects.count() == 0
    [wait] = CustomerWait.objects.all()
    assert (wait.source, wait.outcome) == ("api", WaitOutcome.ERROR)

    shop.configure(down=False)  # the key was not used up: the same request now goes through
    assert post_order(client, key="sync-down").status_code == 202


def test_in_synchronous_mode_a_locked_database_answers_503(client, menu, monkeypatch):
    set_store_mode(StoreMode.SYNC)

    def locked(order, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("workflow.start.store_in_request", locked)
    response = post_order(client)
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "nothing was kept" in response.json()["message"]
    assert Order.objects.count() == 0

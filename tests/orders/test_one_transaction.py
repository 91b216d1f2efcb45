"""The order and the job that will store it are committed in one transaction: both, or neither."""

import pytest
from django.db import transaction
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from orders.models import Order, OrderStatus
from workflow.start import place_order
from ..task_paths import STORE_ORDER_TASK

from ..factories import ORDER_FORM

# transactional_db: these tests are about what really gets committed, so no test-wide wrapping transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def placed(menu, **overrides):
    return place_order(
        pizza=menu["diavola"], size="small", quantity=1, name="Alan", email="alan@example.com",
        address="Bletchley", **overrides,
    ).order


def queued_jobs():
    return [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]


def test_a_commit_leaves_the_order_and_exactly_one_job_for_it(menu):
    order = placed(menu)
    jobs = queued_jobs()
    assert Order.objects.count() == 1
    assert len(jobs) == 1
    assert jobs[0]["func"] == STORE_ORDER_TASK
    assert jobs[0]["args"] == (order.pk,)
    assert order.status == OrderStatus.RECEIVED


def test_a_rollback_leaves_neither_order_nor_job(menu):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            placed(menu)
            raise RuntimeError("something later in the same request failed")
    assert Order.objects.count() == 0
    assert OrmQ.objects.count() == 0


def test_if_the_job_cannot_be_queued_no_order_is_kept(menu, monkeypatch):
    def broken_queue(*args, **kwargs):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr("core.queue.async_task", broken_queue)
    with pytest.raises(ConnectionError):
        placed(menu)
    assert Order.objects.count() == 0


def test_the_form_answers_without_waiting_for_the_shop(menu, client):
    # No shop is running at all here: the answer depends on our database alone.
    response = client.post("/", ORDER_FORM)
    assert response.status_code == 303
    order = Order.objects.get()
    assert response["Location"] == order.get_absolute_url()
    assert order.status == OrderStatus.RECEIVED
    assert len(queued_jobs()) == 1

"""The synchronous store-order step: the form's request calls the shop itself, once, in its transaction."""

import pytest
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from orders.models import Order, OrderStatus, StoreMode
from workflow.models import CustomerWait, WaitOutcome
from orders.process import OrderNotPlaced
from workflow.start import place_order, submit_order
from ..task_paths import SEND_STATUS_EMAIL_TASK
from workflow.models import EventKind, set_store_mode

from ..factories import ORDER_FORM

pytestmark = pytest.mark.django_db(transaction=True)


def fields(menu, **overrides):
    return {"pizza": menu["funghi"], "size": "small", "quantity": 1, "name": "Sync Sam",
            "email": "sam@example.com", "address": "1 Blocking Road", **overrides}


def test_a_healthy_shop_confirms_inside_the_request(menu, shop):
    order = place_order(mode=StoreMode.SYNC, **fields(menu)).order
    assert order.status == OrderStatus.CONFIRMED and order.mode == StoreMode.SYNC
    assert [entry["reference"] for entry in shop.ledger()] == [str(order.public_id)]
    assert [a.outcome for a in order.attempts.all()] == ["accepted"]
    jobs = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert [(job["func"], job["args"]) for job in jobs] == [(SEND_STATUS_EMAIL_TASK, (order.pk, "confirmed"))]
    assert list(order.events.values_list("kind", flat=True)) == [EventKind.PLACED_SYNC, EventKind.CONFIRMED]


def test_a_shop_error_rolls_everything_back(menu, shop):
    shop.configure(failure_rate=1.0)
    with pytest.raises(OrderNotPlaced) as caught:
        place_order(mode=StoreMode.SYNC, **fields(menu))
    assert "Nothing was ordered" in str(caught.value)
    assert Order.objects.count() == 0 and OrmQ.objects.count() == 0
    assert shop.ledger() == []


def test_a_lost_answer_leaves_the_shop_with_an_order_the_app_does_not_have(menu, shop):
    # The weakness the asynchronous mode fixes: the customer is told it failed; the shop made the pizza.
    shop.configure(lost_response_rate=1.0)
    with pytest.raises(OrderNotPlaced):
        place_order(mode=StoreMode.SYNC, **fields(menu))
    assert Order.objects.count() == 0
    assert len(shop.ledger()) == 1


def test_the_customers_wait_and_error_are_recorded_even_after_a_rollback(menu, shop):
    set_store_mode(StoreMode.SYNC)
    shop.configure(down=True)
    with pytest.raises(OrderNotPlaced):
        submit_order(**fields(menu))
    [wait] = CustomerWait.objects.all()
    assert wait.mode == StoreMode.SYNC and wait.outcome == WaitOutcome.ERROR and wait.order is None
    assert "did not take your order" in wait.error


def test_the_form_shows_the_shops_error_and_keeps_the_input(client, menu, shop):
    set_store_mode(StoreMode.SYNC)
    shop.configure(down=True)
    response = client.post("/", ORDER_FORM)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your order was not placed" in page and "The pizza shop did not take your order" in page
    assert 'value="Grace Hopper"' in page and "1 Compiler Way</textarea>" in page
    assert Order.objects.count() == 0


def test_a_slow_shop_keeps_the_customer_waiting_until_it_answers(client, menu, shop):
    set_store_mode(StoreMode.SYNC)
    shop.configure(latency_s=1)
    response = client.post("/", ORDER_FORM)
    assert response.status_code == 303
    # By the time the customer sees anything, the shop has the order: the request waited for it.
    order = Order.objects.get()
    assert order.status == OrderStatus.CONFIRMED
    assert [entry["reference"] for entry in shop.ledger()] == [str(order.public_id)]
    assert CustomerWait.objects.get().duration_ms >= 1000

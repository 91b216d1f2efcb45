"""One idempotency path for every entry: a retry of the same request, after the shop's answer was lost in the
synchronous store mode, reaches the shop under the same key, so the shop's ledger holds ONE order.

Against the real shop simulator: its `lost_response_rate` knob makes it place the order, then cut the
connection before answering."""

import re

import pytest

from orders.models import Order, OrderStatus, StoreMode
from workflow.models import IdempotencyRecord, set_store_mode

from ..api.helpers import order_body, post_order
from ..factories import ORDER_FORM

pytestmark = pytest.mark.django_db(transaction=True)


def form_while_answers_are_lost(client, shop) -> dict:
    """The form as the customer got it (with its submission id), in the synchronous mode, while the shop
    places every order and loses its answer."""
    set_store_mode(StoreMode.SYNC)
    shop.configure(lost_response_rate=1.0)
    [submission] = re.findall(r'name="submission" value="([0-9a-f-]{36})"', client.get("/").content.decode())
    return {**ORDER_FORM, "submission": submission}


def test_api_retry_after_a_lost_answer_makes_one_shop_order(client, menu, shop):
    set_store_mode(StoreMode.SYNC)
    shop.configure(lost_response_rate=1.0)
    first = post_order(client, key="lost-answer-1", body=order_body())
    assert first.status_code == 502
    assert len(shop.ledger()) == 1 and Order.objects.count() == 0

    shop.configure(lost_response_rate=0.0)
    retry = post_order(client, key="lost-answer-1", body=order_body())
    assert retry.status_code == 202
    order = Order.objects.get()
    assert order.status == OrderStatus.CONFIRMED
    [entry] = shop.ledger()  # one pizza, not two
    assert entry["shop_order_id"] == order.shop_order_id


def test_api_says_the_shop_may_have_an_order_whose_answer_was_lost(client, menu, shop):
    set_store_mode(StoreMode.SYNC)
    shop.configure(lost_response_rate=1.0)
    message = post_order(client, key="lost-answer-2").json()["message"]
    assert "may have" in message and "same Idempotency-Key" in message and "Nothing was ordered" not in message


def test_form_retry_after_a_lost_answer_makes_one_shop_order(client, menu, shop):
    form = form_while_answers_are_lost(client, shop)
    answer = client.post("/", form).content.decode()
    assert len(shop.ledger()) == 1

    shop.configure(lost_response_rate=0.0)
    assert client.post("/", form).status_code == 303
    [entry] = shop.ledger()
    assert entry["shop_order_id"] == Order.objects.get().shop_order_id
    assert "may have" in answer and "Nothing was ordered" not in answer  # what the customer read first


def test_api_retry_with_another_body_after_a_lost_answer_is_refused(client, menu, shop):
    # The gap left open before: nothing was kept of the first request, so a retry under the same key with
    # another body reached the shop under the first one's shop key and was "confirmed" with the first pizza.
    set_store_mode(StoreMode.SYNC)
    shop.configure(lost_response_rate=1.0)
    assert post_order(client, key="lost-answer-3", body=order_body()).status_code == 502
    shop.configure(lost_response_rate=0.0)

    other = post_order(client, key="lost-answer-3", body=order_body(quantity=5))
    assert other.status_code == 422
    assert [error["field"] for error in other.json()["errors"]] == ["Idempotency-Key"]
    assert "different body" in other.json()["message"] and "the shop may hold" in other.json()["message"]
    assert Order.objects.count() == 0 and len(shop.ledger()) == 1

    same = post_order(client, key="lost-answer-3", body=order_body())  # the first body still gets its order
    assert same.status_code == 202 and Order.objects.get().shop_order_id == shop.ledger()[0]["shop_order_id"]
    assert IdempotencyRecord.objects.get(source="api", key="lost-answer-3").order == Order.objects.get()


def test_form_sent_back_changed_after_a_lost_answer_is_a_new_order_at_the_shop(client, menu, shop):
    # Before, the changed form reached the shop under the first submission's key: the shop answered with the
    # first order (a Margherita) and the app confirmed a Diavola it never placed.
    form = form_while_answers_are_lost(client, shop)
    client.post("/", form)
    shop.configure(lost_response_rate=0.0)

    changed = {**form, "pizza": "diavola"}
    assert client.post("/", changed).status_code == client.post("/", changed).status_code == 303  # a double click
    order = Order.objects.get()
    assert order.pizza.slug == "diavola" and order.status == OrderStatus.CONFIRMED
    assert len(shop.ledger()) == 2  # the lost Margherita, and this Diavola under a key of its own
    assert order.shop_order_id in [entry["shop_order_id"] for entry in shop.ledger()]

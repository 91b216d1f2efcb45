"""The same form submission twice makes one order: a double click, a reload, a resubmission after an error."""

import re
import threading

import pytest
from django.test import Client

from orders.models import Order, StoreMode
from workflow.idempotency import shop_key_for
from workflow.models import set_store_mode

from ..factories import ORDER_FORM

pytestmark = pytest.mark.django_db(transaction=True)


def form_with_its_submission_id(client) -> dict:
    page = client.get("/").content.decode()
    [submission] = re.findall(r'name="submission" value="([0-9a-f-]{36})"', page)
    return {**ORDER_FORM, "submission": submission}


def test_a_double_click_makes_one_order(client, menu):
    form = form_with_its_submission_id(client)
    first, second = client.post("/", form), client.post("/", form)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1


def test_two_forms_make_two_orders(client, menu):
    client.post("/", form_with_its_submission_id(client))
    client.post("/", form_with_its_submission_id(client))
    assert Order.objects.count() == 2


def test_the_same_form_sent_back_with_other_content_is_a_new_order(client, menu):
    form = form_with_its_submission_id(client)
    client.post("/", form)
    client.post("/", {**form, "pizza": "diavola"})
    assert Order.objects.count() == 2
    assert Order.objects.filter(idempotency_key=shop_key_for("form", form["submission"])).get().pizza.slug == "margherita"


def test_a_form_without_the_id_still_orders(client, menu):
    assert client.post("/", ORDER_FORM).status_code == 303
    assert client.post("/", {**ORDER_FORM, "submission": "not-a-uuid"}).status_code == 303
    assert Order.objects.count() == 2


def test_the_id_survives_a_form_with_errors(client, menu):
    form = form_with_its_submission_id(client)
    page = client.post("/", {**form, "email": "nope"}).content.decode()
    assert f'value="{form["submission"]}"' in page


def test_two_concurrent_submissions_make_one_order(menu):
    form = form_with_its_submission_id(Client())
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(Client().post("/", form))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {answer["Location"] for answer in answers} == {Order.objects.get().get_absolute_url()}


def test_synchronous_resubmission_after_a_lost_answer_makes_no_second_pizza(client, menu, shop):
    set_store_mode(StoreMode.SYNC)
    shop.configure(lost_response_rate=1.0)
    form = form_with_its_submission_id(client)
    page = client.post("/", form).content.decode()
    assert "Your order was not placed" in page and "the shop may have it" in page and Order.objects.count() == 0
    assert len(shop.ledger()) == 1  # the shop took it; the answer was lost

    shop.configure(lost_response_rate=0.0)
    assert client.post("/", form).status_code == 303
    order = Order.objects.get()
    [entry] = shop.ledger()
    assert entry["shop_order_id"] == order.shop_order_id and entry["received"] == 2


def test_the_form_sent_back_changed_twice_is_one_new_order(client, menu):
    # Before, each changed resubmission got a random shop key: a double click on the changed form made two.
    form = form_with_its_submission_id(client)
    client.post("/", form)
    changed = {**form, "pizza": "diavola"}
    first, second = client.post("/", changed), client.post("/", changed)
    assert first["Location"] == second["Location"]
    assert sorted(Order.objects.values_list("pizza__slug", flat=True)) == ["diavola", "margherita"]
    assert client.post("/", form)["Location"] != first["Location"]  # the first content still gets its own order
    assert Order.objects.count() == 2

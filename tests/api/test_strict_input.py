"""The order API reads JSON as strictly as the database stores it: what Python's json module would let
through (NaN, 1e999, invalid UTF-8, duplicate keys) is a 400 with the reason; over-long strings are a 422
naming the field. Nothing is stored in either case."""

import pytest

from orders.models import Order

from .helpers import fields_named, order_body, post_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw, reason", [
    (b'{"pizza": "margherita", "quantity": NaN}', "NaN is not a JSON number"),
    (b'{"pizza": "margherita", "quantity": Infinity}', "Infinity is not a JSON number"),
    (b'{"pizza": "margherita", "quantity": 1e999}', "too large"),
    (b'{"pizza": "margh\xe9rita"}', "not UTF-8"),
    (b'{"pizza": "margherita", "pizza": "funghi"}', "appears twice"),
    (b'{"customer": ' * 20_000 + b"{}" + b"}" * 20_000, "nested too deeply"),
])
def test_json_python_would_accept_but_a_database_could_not_store_is_a_400_with_the_reason(client, menu, raw, reason):
    response = client.post("/api/orders", raw, content_type="application/json")
    assert response.status_code == 400
    assert reason in response.json()["message"] and response.json()["errors"] == []
    assert Order.objects.count() == 0


@pytest.mark.parametrize("body, field", [
    (order_body(pizza="m" * 10_000), "pizza"),
    (order_body(customer={"name": "G" * 101}), "customer.name"),
    (order_body(customer={"address": "x" * 100_000}), "customer.address"),
    (order_body(callback_url="https://example.com/" + "a" * 5_000), "callback_url"),
])
def test_every_string_longer_than_its_column_is_named(client, menu, body, field):
    response = post_order(client, body)
    assert response.status_code == 422 and field in fields_named(response)
    assert Order.objects.count() == 0


def test_an_idempotency_key_longer_than_its_column_is_named(client, menu):
    response = post_order(client, order_body(), key="k" * 256)
    assert response.status_code == 422 and fields_named(response) == ["Idempotency-Key"]
    assert Order.objects.count() == 0

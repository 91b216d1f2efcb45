"""Whatever a signed callback carries, the webhook answers 4xx with a JSON reason, never 500, and stores no
string longer than its column (SQLite would keep it; PostgreSQL would fail the request).

Signed on purpose: the signature is checked first, so an unsigned body never reaches the parser. A shop
with a bug, or one whose secret leaked, is who sends these.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from orders.models import Order
from workflow.models import WebhookDelivery

from .test_shop_webhook import assert_unchanged, awaiting_order, callback_body, post, signed

pytestmark = pytest.mark.django_db


def post_signed(client, body: bytes):
    return post(client, body, signed(body))


@pytest.mark.parametrize("field, length, limit", [
    ("shop_order_id", 5_000, 64),
    ("shop_order_id", 65, 64),
])
def test_a_field_longer_than_its_column_is_refused_by_name(client, menu, field, length, limit):
    order = awaiting_order(menu)
    response = post_signed(client, callback_body(order, **{field: "x" * length}))
    assert response.status_code == 400
    assert response.json() == {"error": f"{field} is {length} characters long; at most {limit} are allowed"}
    assert_unchanged(order)
    assert not WebhookDelivery.objects.exists()


def test_fields_exactly_as_long_as_their_columns_are_taken(client, menu):
    order = awaiting_order(menu)
    body = callback_body(order, shop_order_id="S" * 64)
    response = post(client, body, signed(body, msg_id="d" * 100))
    assert response.status_code == 200
    assert Order.objects.get(pk=order.pk).shop_order_id == "S" * 64


@pytest.mark.parametrize("body, reason", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
    (b'{"shop_order_id": NaN}', "NaN is not a JSON number"),
    (b'{"shop_order_id": Infinity}', "Infinity is not a JSON number"),
    (b'{"shop_order_id": -Infinity}', "-Infinity is not a JSON number"),
    (b'{"shop_order_id": 1e999}', "too large"),
    (b'{"shop_order_id": ' + b"9" * 5000 + b"}", "not valid JSON"),
    (b'{"shop_order_id": "\xff\xfe"}', "not UTF-8"),
    (b"\xef\xbb\xbf{}", "not valid JSON"),  # a byte-order mark is not JSON
    (b'{"shop_order_id": "\\ud800"}', "lone surrogate"),
    (b'{"shop_order_id": "a", "shop_order_id": "b"}', "appears twice"),
    (b"", "not valid JSON"),
    (b"null", "must be a JSON object"),
    (b'"text"', "must be a JSON object"),
])
def test_a_body_that_cannot_be_read_is_a_400_with_the_reason(client, menu, body, reason):
    order = awaiting_order(menu)
    response = post_signed(client, body)
    assert response.status_code == 400, response.content[:200]
    assert reason in response.json()["error"]
    assert_unchanged(order)


@pytest.mark.parametrize("field, value", [
    ("shop_order_id", "abc\x00def"), ("shop_order_id", "SHOP\n1"), ("shop_order_id", ""), ("shop_order_id", 12),
    ("idempotency_key", None), ("status", ["accepted"]),
])
def test_ids_with_control_characters_or_of_the_wrong_type_are_refused(client, menu, field, value):
    order = awaiting_order(menu)
    response = post_signed(client, callback_body(order, **{field: value}))
    assert response.status_code == 400 and field in response.json()["error"]
    assert_unchanged(order)


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=300)
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4), max_leaves=20)
FIELD_VALUES = st.one_of(st.text(max_size=200), JSON_VALUES)


@given(data=st.data())
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_callbacks_never_answer_500_nor_store_an_overlong_string(client, menu, data):
    order = awaiting_order(menu)
    body = data.draw(st.one_of(
        # the right shape, with any value in any field
        st.fixed_dictionaries({}, optional={
            "reason": FIELD_VALUES, "idempotency_key": st.just(str(order.idempotency_key)) | FIELD_VALUES,
            "shop_order_id": FIELD_VALUES, "status": st.sampled_from(["accepted", "cancelled"]) | FIELD_VALUES,
            "extra": JSON_VALUES,
        }).map(lambda payload: json.dumps(payload).encode()),
        st.builds(lambda value: json.dumps(value).encode(), JSON_VALUES),  # any JSON at all
        st.binary(max_size=300),  # any bytes at all
    ))
    response = post_signed(client, body)
    assert response.status_code in {200, 400, 404, 409, 422}, response.content[:300]
    assert response["Content-Type"] == "application/json" and response.json()
    for delivery in WebhookDelivery.objects.all():
        assert len(delivery.delivery_id) <= 100
    for stored in Order.objects.values_list("shop_order_id", flat=True):
        assert len(stored) <= 64

"""Unit tests of shop/validation.py: what the shop accepts as settings and as an order."""

import pytest

from shop.validation import (
    InvalidFields,
    MalformedRequest,
    parse_json,
    validate_idempotency_key,
    validate_knobs,
    validate_order,
)
from tests.shop.orders import an_order

# --- Settings -------------------------------------------------------------------------------------


def test_a_partial_settings_object_gives_only_its_knobs():
    assert validate_knobs({"failure_rate": 0.2}) == {"failure_rate": 0.2}


def test_whole_numbers_are_stored_as_floats_where_the_knob_is_a_float():
    changes = validate_knobs({"failure_rate": 1, "latency_s": 30, "lost_response_rate": 0})
    assert changes == {"failure_rate": 1.0, "latency_s": 30.0, "lost_response_rate": 0.0}
    assert all(isinstance(value, float) for value in changes.values())


def test_every_knob_at_its_limits_is_accepted():
    assert validate_knobs(
        {"failure_rate": 1.0, "latency_s": 600, "lost_response_rate": 1.0, "down": True, "seed": 2**63 - 1}
    )
    assert validate_knobs({"failure_rate": 0, "latency_s": 0, "lost_response_rate": 0, "down": False, "seed": 0})


def test_the_seed_can_be_cleared():
    assert validate_knobs({"seed": None}) == {"seed": None}


@pytest.mark.parametrize("mode", ["sync", "callback"])
def test_the_mode_is_sync_or_callback(mode):
    assert validate_knobs({"mode": mode}) == {"mode": mode}


@pytest.mark.parametrize(
    "field, value",
    [
        ("failure_rate", 1.01),
        ("failure_rate", -0.1),
        ("failure_rate", "0.5"),
        ("failure_rate", True),
        ("failure_rate", None),
        ("failure_rate", float("nan")),
        ("latency_s", 600.5),
        ("latency_s", -1),
        ("latency_s", float("inf")),
        ("lost_response_rate", 2),
        ("lost_response_rate", [0.5]),
        ("down", 1),
        ("down", "true"),
        ("down", None),
        ("seed", 1.5),
        ("seed", -1),
        ("seed", 2**63),
        ("seed", "42"),
        ("seed", False),
        ("mode", "async"),
        ("mode", "CALLBACK"),
        ("mode", None),
        ("mode", True),
    ],
)
def test_a_bad_value_is_refused_naming_its_knob(field, value):
    with pytest.raises(InvalidFields) as refused:
        validate_knobs({field: value})
    assert list(refused.value.errors) == [field]


def test_an_unknown_knob_is_refused_by_name():
    with pytest.raises(InvalidFields) as refused:
        validate_knobs({"failure_rate": 0.5, "speed": "fast"})
    assert list(refused.value.errors) == ["speed"]


def test_every_bad_knob_is_named_at_once():
    with pytest.raises(InvalidFields) as refused:
        validate_knobs({"failure_rate": 3, "down": "no", "latency_s": 1})
    assert set(refused.value.errors) == {"failure_rate", "down"}


@pytest.mark.parametrize("data", [[], "down", 1, None])
def test_settings_must_be_an_object(data):
    with pytest.raises(InvalidFields) as refused:
        validate_knobs(data)
    assert list(refused.value.errors) == ["body"]


# --- Orders ---------------------------------------------------------------------------------------


def test_a_valid_order_passes_unchanged():
    order = an_order()
    assert validate_order(order) == order


def test_the_total_is_optional_and_unknown_fields_are_let_through():
    order = an_order(note="ring twice")
    del order["total"]
    assert validate_order(order) == order


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"reference": ""}, "reference"),
        ({"reference": "   "}, "reference"),
        ({"reference": 42}, "reference"),
        ({"reference": "R" * 201}, "reference"),
        ({"items": []}, "items"),
        ({"items": "margherita"}, "items"),
        ({"items": ["margherita"]}, "items[0]"),
        ({"items": [{"pizza": "", "size": "large", "quantity": 1}]}, "items[0].pizza"),
        ({"items": [{"pizza": "margherita", "size": "huge", "quantity": 1}]}, "items[0].size"),
        ({"items": [{"pizza": "margherita", "size": "large", "quantity": 0}]}, "items[0].quantity"),
        ({"items": [{"pizza": "margherita", "size": "large", "quantity": 101}]}, "items[0].quantity"),
        ({"items": [{"pizza": "margherita", "size": "large", "quantity": 1.0}]}, "items[0].quantity"),
        ({"items": [{"pizza": "margherita", "size": "large", "quantity": True}]}, "items[0].quantity"),
        ({"customer": "Ada"}, "customer"),
        ({"customer": {"name": "Ada"}}, "customer.address"),
        ({"customer": {"name": "", "address": "12 Analytical Row"}}, "customer.name"),
        ({"total": 24.0}, "total"),
        ({"total": "lots"}, "total"),
        ({"total": "-1.00"}, "total"),
        ({"total": "NaN"}, "total"),
    ],
)
def test_a_bad_field_is_refused_by_name(overrides, field):
    with pytest.raises(InvalidFields) as refused:
        validate_order(an_order(**overrides))
    assert list(refused.value.errors) == [field]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/webhooks/shop",
        "https://pizza.example.com/webhooks/shop?source=shop",
        "http://web:8000/hooks",
        "http://[::1]:8000/webhooks/shop",
        "HTTPS://PIZZA.EXAMPLE.COM/",
    ],
)
def test_a_callback_url_is_any_http_or_https_url_with_a_host(url):
    order = an_order(callback_url=url)
    assert validate_order(order, callback_required=True) == order


@pytest.mark.parametrize(
    "url",
    [
        "",
        "webhooks/shop",
        "ftp://app.test/webhooks/shop",
        "javascript:alert(1)",
        "http://",
        "http:///webhooks/shop",
        "http://app.test:99999/",
        "http://app.test:port/",
        "http://app.test/web hooks",
        "http://app.test/\nX-Injected: 1",
        "http://app.test/" + "a" * 2000,
        None,
        42,
        ["http://app.test/"],
    ],
)
def test_a_bad_callback_url_is_refused_by_name(url):
    with pytest.raises(InvalidFields) as refused:
        validate_order(an_order(callback_url=url))
    assert list(refused.value.errors) == ["callback_url"]


def test_a_callback_url_is_optional_unless_required():
    assert validate_order(an_order()) == an_order()
    with pytest.raises(InvalidFields) as refused:
        validate_order(an_order(), callback_required=True)
    assert list(refused.value.errors) == ["callback_url"]


def test_every_bad_field_is_named_at_once():
    order = an_order(
        items=[
            {"pizza": "margherita", "size": "large", "quantity": 1},
            {"pizza": "funghi", "size": "xl", "quantity": 500},
        ],
        customer={"name": "", "address": ""},
    )
    with pytest.raises(InvalidFields) as refused:
        validate_order(order)
    assert set(refused.value.errors) == {"items[1].size", "items[1].quantity", "customer.name", "customer.address"}


def test_an_order_must_be_an_object():
    with pytest.raises(MalformedRequest) as refused:
        validate_order([an_order()])
    assert list(refused.value.errors) == ["body"]


# --- The request itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   ", "k" * 201])
def test_a_missing_blank_or_long_idempotency_key_is_refused(key):
    with pytest.raises(MalformedRequest) as refused:
        validate_idempotency_key(key)
    assert list(refused.value.errors) == ["Idempotency-Key"]


def test_an_idempotency_key_of_200_characters_is_accepted():
    assert validate_idempotency_key("k" * 200) == "k" * 200


@pytest.mark.parametrize("body", [b"{bad", b"", b"\xff\xfe", b"[" * 100_000, None])
def test_an_unreadable_body_is_refused(body):
    with pytest.raises(MalformedRequest) as refused:
        parse_json(body)
    assert list(refused.value.errors) == ["body"]

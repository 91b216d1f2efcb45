"""Bodies no parser should choke on, against a real shop process: every one is a 400 with a JSON reason
naming the field (or "body"), never a 500, and nothing is stored. Over-long strings are refused by name
before they reach a column (SQLite would keep them whole)."""

import json

import pytest
import requests

from tests.shop.orders import TIMEOUT_S, an_order, post_order

UNREADABLE_BODIES = {
    "deep nesting (100,000 levels)": (b"[" * 100_000 + b"]" * 100_000, "body"),
    "nesting past 32 levels": (b'{"a":' * 40 + b"1" + b"}" * 40, None),
    "an integer of 5,000 digits": (b'{"latency_s": ' + b"9" * 5000 + b"}", "body"),
    "a number beyond float": (b'{"latency_s": 1e999}', "body"),
    "NaN": (b'{"latency_s": NaN}', "body"),
    "-Infinity": (b'{"latency_s": -Infinity}', "body"),
    "latin-1 bytes": ('{"reference": "caf\xe9"}'.encode("latin-1"), "body"),
    "UTF-16": ('{"down": true}'.encode("utf-16"), "body"),
    "a lone surrogate": (b'{"reference": "\\ud800"}', "reference"),
    "a NUL character": (b'{"reference": "a\\u0000b"}', "reference"),
    "a NUL in a key": (b'{"a\\u0000": 1}', None),
    "truncated": (b'{"reference": "ab', "body"),
    "empty": (b"", "body"),
    "an array": (b"[1, 2]", "body"),
    "a string": (b'"order"', "body"),
    "null": (b"null", "body"),
}


def assert_refused_by_name(response: requests.Response, field: str | None):
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1 and all(isinstance(reason, str) and reason for reason in errors.values())
    if field is not None:
        assert list(errors) == [field]


@pytest.mark.parametrize("body, field", UNREADABLE_BODIES.values(), ids=UNREADABLE_BODIES)
def test_an_unreadable_order_is_400_and_places_nothing(shop, body, field):
    response = post_order(shop, "key-1", data=body, headers={"Content-Type": "application/json"})

    assert_refused_by_name(response, field)
    assert shop.ledger() == []
    assert shop.stats()["invalid"] == 1


@pytest.mark.parametrize("body, field", UNREADABLE_BODIES.values(), ids=UNREADABLE_BODIES)
def test_unreadable_settings_are_400_and_change_nothing(shop, body, field):
    before = shop.settings()
    headers = {**shop.auth_header, "Content-Type": "application/json"}

    response = requests.put(shop.url + "/settings", data=body, headers=headers, timeout=TIMEOUT_S)

    assert_refused_by_name(response, field)
    assert shop.settings() == before


# An empty body is a reset without options; every other unreadable one is refused.
UNREADABLE_RESETS = {name: body for name, (body, _) in UNREADABLE_BODIES.items() if body}


@pytest.mark.parametrize("body", UNREADABLE_RESETS.values(), ids=UNREADABLE_RESETS)
def test_an_unreadable_reset_is_400_and_resets_nothing(shop, body):
    post_order(shop, "key-1")
    headers = {**shop.auth_header, "Content-Type": "application/json"}

    response = requests.post(shop.url + "/reset", data=body, headers=headers, timeout=TIMEOUT_S)

    assert response.status_code == 400 and "errors" in response.json()
    assert len(shop.ledger()) == 1


def _order_with(raw_extra: bytes) -> bytes:
    """A valid order's JSON with one more member, written raw (json.dumps cannot write some of these)."""
    return json.dumps(an_order()).encode()[:-1] + b', "extra": ' + raw_extra + b"}"


# Each of these was a 500 (surrogate, NaN, 1e999) or stored (NUL, UTF-16, deep nesting) before the shop
# read bodies strictly.
BAD_BUT_OTHERWISE_VALID_ORDERS = {
    "a lone surrogate in reference": (json.dumps(an_order(reference="\ud800")).encode(), "reference"),
    "a NUL in customer.name": (json.dumps(an_order(customer={"name": "a\x00b", "address": "x"})).encode(), "customer.name"),
    "NaN": (_order_with(b"NaN"), "body"),
    "1e999": (_order_with(b"1e999"), "body"),
    "UTF-16": (json.dumps(an_order()).encode("utf-16"), "body"),
    "nesting 900 levels deep": (_order_with(b"[" * 900 + b"]" * 900), None),
}


@pytest.mark.parametrize("body, field", BAD_BUT_OTHERWISE_VALID_ORDERS.values(), ids=BAD_BUT_OTHERWISE_VALID_ORDERS)
def test_an_otherwise_valid_order_with_one_unreadable_value_is_400_and_not_stored(shop, body, field):
    response = post_order(shop, "key-1", data=body, headers={"Content-Type": "application/json"})

    assert_refused_by_name(response, field)
    assert shop.ledger() == []


def test_a_body_over_the_size_limit_is_413_naming_the_limit(shop):
    response = post_order(shop, "key-1", data=b" " * 3_000_000, headers={"Content-Type": "application/json"})
    assert response.status_code == 413  # core.body_limit, before the body is read
    assert list(response.json()["errors"]) == ["body"] and response.json()["limit_bytes"] == 2_621_440


# --- Every string checked against its column before it is stored ------------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"reference": "r" * 201}, "reference"),
        ({"callback_url": "http://app.test/" + "h" * 2000}, "callback_url"),
        ({"customer": {"name": "n" * 201, "address": "a"}}, "customer.name"),
        ({"customer": {"name": "n", "address": "a" * 501}}, "customer.address"),
        ({"items": [{"pizza": "p" * 101, "size": "large", "quantity": 1}]}, "items[0].pizza"),
        ({"total": "1" * 33}, "total"),
    ],
)
def test_an_over_long_string_is_refused_by_name_and_not_stored(shop, overrides, field):
    response = post_order(shop, "key-1", an_order(**overrides))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    assert shop.ledger() == []


def test_strings_at_their_column_length_are_stored_whole(shop):
    order = an_order(reference="r" * 200, customer={"name": "n" * 200, "address": "a" * 500})

    assert post_order(shop, "k" * 200, order).status_code == 201

    [entry] = shop.ledger()
    assert (entry["idempotency_key"], entry["reference"], entry["customer"]) == ("k" * 200, "r" * 200, "n" * 200)


@pytest.mark.parametrize("key", ["k" * 201, "tab\tkey"])
def test_a_bad_idempotency_key_is_400_on_every_endpoint_that_takes_one(shop, key):
    assert list(post_order(shop, key).json()["errors"]) == ["Idempotency-Key"]
    for method, path in (("GET", f"/orders/{key}"), ("POST", f"/orders/{key}/cancel")):
        response = requests.request(method, shop.url + path, headers=shop.client_auth, timeout=TIMEOUT_S)
        assert response.status_code == 400, path
        assert list(response.json()["errors"]) == ["idempotency_key"]
    assert shop.ledger() == []

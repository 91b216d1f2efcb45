"""How the shop's answers are classified: unit tests on hand-made responses (no network)."""

import json

import pytest
import requests

from workflow.shop_client import ShopRejected, ShopUnavailable, classify_response


def response(status: int, body) -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made._content = (body if isinstance(body, str) else json.dumps(body)).encode()
    return made


@pytest.mark.parametrize("status", [200, 201])
def test_an_acceptance_gives_the_shops_reference(status):
    receipt = classify_response(response(status, {"shop_order_id": "SHOP-1", "status": "accepted"}))
    assert receipt.shop_order_id == "SHOP-1"
    assert receipt.was_repeat == (status == 200)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_overload_and_server_errors_are_worth_retrying(status):
    with pytest.raises(ShopUnavailable) as caught:
        classify_response(response(status, {"error": "busy"}))
    assert caught.value.http_status == status


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_client_errors_are_final(status):
    with pytest.raises(ShopRejected) as caught:
        classify_response(response(status, {"errors": {"items[0].size": "unknown size"}}))
    assert caught.value.http_status == status
    assert "items[0].size" in str(caught.value)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_client_key_keeps_the_order_s_retries(status):
    """Our SHOP_API_KEY, not the order, was refused: an operator's fix lets a later attempt through."""
    with pytest.raises(ShopUnavailable) as caught:
        classify_response(response(status, {"error": "this endpoint needs a client's key"}))
    assert caught.value.http_status == status and "SHOP_API_KEY" in str(caught.value)


@pytest.mark.parametrize("body", ["not json", {"status": "accepted"}, {"shop_order_id": ""}, {"shop_order_id": 7}])
def test_a_garbled_acceptance_is_retried_under_the_same_key(body):
    with pytest.raises(ShopUnavailable):
        classify_response(response(201, body))


@pytest.mark.parametrize("body, reason", [
    ({"shop_order_id": "S" * 65}, "a shop_order_id of 65 characters (at most 64 are kept)"),
    ({"shop_order_id": "S" * 5000}, "a shop_order_id of 5000 characters"),
    ({"shop_order_id": "SHOP\x001"}, "a shop_order_id with control characters"),
    ('{"shop_order_id": "SHOP-1", "total": NaN}', "no shop_order_id"),
    ("[" * 100_000 + "]" * 100_000, "no shop_order_id"),
    (["SHOP-1"], "no shop_order_id"),
])
def test_an_acceptance_whose_reference_could_not_be_stored_is_retried_never_stored(body, reason):
    with pytest.raises(ShopUnavailable) as caught:
        classify_response(response(201, body))
    assert reason in str(caught.value)


def test_a_reference_exactly_as_long_as_the_column_is_taken():
    assert classify_response(response(201, {"shop_order_id": "S" * 64})).shop_order_id == "S" * 64


@pytest.mark.parametrize("body", [["accepted"], "[" * 100_000, {"status": "accepted", "shop_order_id": "S" * 65}])
def test_a_look_up_answer_that_could_not_be_stored_is_the_shop_being_unavailable(body):
    from workflow.shop_client import ShopClient

    class OneAnswer:
        def get(self, url, timeout, headers=None):
            return response(200, body)

    client = ShopClient("http://127.0.0.1:9", connect_timeout_s=1, read_timeout_s=1, session=OneAnswer())
    with pytest.raises(ShopUnavailable):
        client.look_up("key")

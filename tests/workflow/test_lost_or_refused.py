"""Can the app tell a lost answer (the shop may hold the order) from a clear refusal (it does not)?
Against the real shop simulator over loopback, and a port nothing listens on."""

import pytest

from workflow.shop_client import ShopClient, ShopUnavailable

from ..support.ports import free_port

PAYLOAD = {
    "reference": "r-1",
    "items": [{"pizza": "margherita", "size": "large", "quantity": 1}],
    "customer": {"name": "Ada", "address": "1 Analytical St"},
    "total": "12.50",
}


def call(client: ShopClient, key: str) -> ShopUnavailable:
    with pytest.raises(ShopUnavailable) as caught:
        client.place_order(PAYLOAD, idempotency_key=key)
    return caught.value


def test_a_cut_connection_after_sending_may_have_placed_the_order(shop, shop_client):
    shop.configure(lost_response_rate=1.0)
    assert call(shop_client, "00000000-0000-4000-8000-000000000001").may_be_placed
    assert len(shop.ledger()) == 1  # and indeed it had


def test_a_read_timeout_may_have_placed_the_order(shop):
    shop.configure(latency_s=1.0)
    client = ShopClient(shop.url, connect_timeout_s=1, read_timeout_s=0.2)
    assert call(client, "00000000-0000-4000-8000-000000000002").may_be_placed


def test_a_server_error_is_a_refusal(shop, shop_client):
    shop.configure(failure_rate=1.0)
    error = call(shop_client, "00000000-0000-4000-8000-000000000003")
    assert error.http_status >= 500 and not error.may_be_placed


def test_a_refused_connection_placed_nothing():
    client = ShopClient(f"http://127.0.0.1:{free_port()}", connect_timeout_s=1, read_timeout_s=1)
    assert not call(client, "00000000-0000-4000-8000-000000000004").may_be_placed

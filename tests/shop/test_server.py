"""Tests of shop/server.py and the runshop command: where it listens, and that it stops cleanly."""

import pytest

from shop.server import Address, parse_addrport
from tests.shop.orders import post_order
from tests.support.shop_process import ShopProcess


@pytest.mark.parametrize(
    "text, address",
    [
        ("127.0.0.1:8001", Address("127.0.0.1", 8001)),
        ("8002", Address("127.0.0.1", 8002)),
        ("0.0.0.0:80", Address("0.0.0.0", 80)),
        ("localhost:8001", Address("localhost", 8001)),
        ("[::1]:8001", Address("::1", 8001)),
        ("127.0.0.1:0", Address("127.0.0.1", 0)),
    ],
)
def test_addresses_are_read_like_runserver_reads_them(text, address):
    assert parse_addrport(text) == address


@pytest.mark.parametrize("text", ["", "host", "127.0.0.1:", ":8001", "::1:8001", "[nonsense]:8001", "1:70000"])
def test_an_unreadable_address_is_refused(text):
    with pytest.raises(ValueError):
        parse_addrport(text)


def test_the_start_line_shows_a_url_for_both_address_families():
    assert Address("127.0.0.1", 8001).url == "http://127.0.0.1:8001/"
    assert Address("::1", 8001).url == "http://[::1]:8001/"


def test_runshop_logs_each_order_call_and_stops_cleanly_on_sigterm():
    # A shop of its own: the suite's settings quieten the "shop" logger, and this one is stopped.
    shop = ShopProcess(extra_env={"SHOP_LOG_LEVEL": "INFO"}).start()
    try:
        post_order(shop, "logged-key")
        post_order(shop, "logged-key")
    finally:
        shop.stop()  # SIGTERM

    assert shop.returncode == 0
    log = shop.log()
    assert "POST /orders accepted: key='logged-key' -> 201" in log
    assert "POST /orders replayed: key='logged-key' -> 200" in log
    assert "Shop simulator stopped" in log

"""Who may do what at the shop, against a real shop process: the control endpoints (PUT /settings,
POST /reset, the ledger's details) need the control token and JSON; orders need a client's key, and a client's
ledger shows no customer.
"""

import pytest
import requests

from tests.shop.orders import TIMEOUT_S, an_order, post_order
from tests.support.shop_process import ShopProcess
from trainer.shop_control import ShopControl, ShopControlError

CONTROL_CALLS = [
    ("PUT", "/settings", {"json": {"down": True}}),
    ("POST", "/reset", {"json": {}}),
    ("GET", "/orders?details=true", {}),
    ("GET", "/orders/key-1?details=true", {}),
]


def call(shop, method: str, path: str, headers: dict | None = None, **kwargs) -> requests.Response:
    return requests.request(method, shop.url + path, headers=headers or {}, timeout=TIMEOUT_S, **kwargs)


def assert_untouched(shop):
    """The order placed before the probe is still there, and the knobs are the defaults."""
    assert [entry["idempotency_key"] for entry in shop.ledger()] == ["key-1"]
    assert shop.settings()["down"] is False


@pytest.mark.parametrize("method, path, kwargs", CONTROL_CALLS)
@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer caf\xe9"],
    ids=["none", "empty", "scheme-only", "blank", "wrong", "basic", "latin-1"],
)
def test_a_control_endpoint_without_the_right_token_is_401_and_changes_nothing(shop, method, path, kwargs, authorization):
    post_order(shop, "key-1")
    headers = {} if authorization is None else {"Authorization": authorization.encode("latin-1")}

    response = call(shop, method, path, headers=headers, **kwargs)

    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Ada" not in response.text and "ORDER-1" not in response.text
    assert_untouched(shop)


def test_the_token_is_compared_whole_not_by_prefix(shop):
    post_order(shop, "key-1")
    for near_miss in (shop.control_token[:-1], shop.control_token + "x", shop.control_token.upper()):
        response = call(shop, "PUT", "/settings", headers={"Authorization": f"Bearer {near_miss}"}, json={"down": True})
        assert response.status_code == 401
    assert_untouched(shop)


@pytest.mark.parametrize("method, path", [("PUT", "/settings"), ("POST", "/reset")])
@pytest.mark.parametrize(
    "content_type, body",
    [
        ("text/plain", b'{"down": true}'),
        ("application/x-www-form-urlencoded", b"down=true"),
        ("multipart/form-data; boundary=x", b"--x--"),
        (None, b'{"down": true}'),
        ("application/json; charset=latin-1", b'{"down": true}'),
    ],
)
def test_a_control_endpoint_takes_json_only_even_with_the_token(shop, method, path, content_type, body):
    post_order(shop, "key-1")
    headers = dict(shop.auth_header)
    if content_type:
        headers["Content-Type"] = content_type

    response = call(shop, method, path, headers=headers, data=body)

    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    assert_untouched(shop)


def test_a_cross_origin_text_plain_post_to_reset_is_refused(shop):
    """What a page on another site can make a browser send without a preflight: it empties nothing."""
    post_order(shop, "key-1")
    shop.configure(failure_rate=0.5)
    browser_like = {"Origin": "http://attacker.example", "Content-Type": "text/plain;charset=UTF-8"}

    response = call(shop, "POST", "/reset", headers=browser_like, data=b"{}")

    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response.headers
    # Even a page that somehow had the token could not send it as text/plain.
    response = call(shop, "POST", "/reset", headers={**browser_like, **shop.auth_header}, data=b"{}")
    assert response.status_code == 415
    assert [entry["idempotency_key"] for entry in shop.ledger()] == ["key-1"]
    assert shop.settings()["failure_rate"] == 0.5


def test_with_the_token_and_json_the_control_endpoints_work(shop):
    post_order(shop, "key-1")

    changed = call(shop, "PUT", "/settings", headers=shop.auth_header, json={"latency_s": 1.5})
    reset = call(shop, "POST", "/reset", headers=shop.auth_header, json={})
    empty_body_reset = call(shop, "POST", "/reset", headers={**shop.auth_header, "Content-Type": "application/json"})

    assert (changed.status_code, changed.json()["latency_s"]) == (200, 1.5)
    assert (reset.status_code, reset.json()["latency_s"]) == (200, 0.0)
    assert empty_body_reset.status_code == 200
    assert shop.ledger() == []


def test_reset_takes_no_other_body_than_an_empty_object(shop):
    response = call(shop, "POST", "/reset", headers=shop.auth_header, json={"ledger": "keep"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]


# --- The ledger: each client's own -----------------------------------------------------------------


def test_a_client_s_ledger_and_look_up_show_no_customer_data(shop):
    post_order(shop, "key-1", an_order(reference="0b5c1f0e-public-id", customer={"name": "Ada Lovelace", "address": "12 Analytical Row"}))

    ledger = call(shop, "GET", "/orders", headers=shop.client_auth)
    entry = call(shop, "GET", "/orders/key-1", headers=shop.client_auth)

    for response in (ledger, entry):
        assert response.status_code == 200
        for secret in ("Ada", "Lovelace", "Analytical", "0b5c1f0e-public-id", "margherita"):
            assert secret not in response.text
    [listed] = ledger.json()
    assert set(listed) == {
        "idempotency_key", "shop_order_id", "status", "received", "accepted_at", "cancelled_at", "cancelled_by",
        "cancel_reason",
    }
    assert entry.json() == listed


def test_the_details_need_the_token_and_show_whose_order_it_is(shop):
    post_order(shop, "key-1", an_order(reference="R-1"))

    [detailed] = call(shop, "GET", "/orders?details=true", headers=shop.auth_header).json()
    one = call(shop, "GET", "/orders/key-1?details=true", headers=shop.auth_header).json()

    assert (detailed["reference"], detailed["customer"], detailed["client"]) == ("R-1", "Ada Lovelace", "app")
    assert one == detailed
    # The token alone does not widen the view: details are asked for.
    assert "customer" not in call(shop, "GET", "/orders", headers=shop.auth_header).json()[0]
    # A client's key is no control token.
    assert call(shop, "GET", "/orders?details=true", headers=shop.client_auth).status_code == 401


@pytest.mark.parametrize("method, path", [
    ("GET", "/orders"), ("GET", "/orders/key-1"), ("POST", "/orders/key-1/cancel"), ("POST", "/orders"),
])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key", "Bearer shopkey_guessed"], ids=["none", "wrong", "guessed"])
def test_placing_reading_and_cancelling_orders_need_a_client_key(shop, method, path, authorization):
    """The probe of issue 18: anonymous GET /orders listed every key, and a cancel needed nothing else."""
    post_order(shop, "key-1")
    headers = {} if authorization is None else {"Authorization": authorization}

    response = call(shop, method, path, headers={**headers, "Idempotency-Key": "key-2"}, json=an_order())

    assert response.status_code == 401
    assert "key-1" not in response.text and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert [(entry["idempotency_key"], entry["status"]) for entry in shop.ledger()] == [("key-1", "accepted")]


def test_the_open_endpoints_show_counts_never_keys(shop):
    assert post_order(shop, "key-1").status_code == 201
    for path in ("/settings", "/stats", "/health"):
        response = call(shop, "GET", path)
        assert response.status_code == 200, path
        assert "key-1" not in response.text and shop.api_key not in response.text
    stats = call(shop, "GET", "/stats").json()
    assert (stats["ledger_size"], stats["clients"]) == (1, len(shop.client_names))


# --- A shop started without a token, and the app's control ----------------------------------------


def test_a_shop_started_without_a_token_keeps_its_control_endpoints_closed():
    with ShopProcess(control_token="") as shop:
        for method, path, kwargs in CONTROL_CALLS:
            response = call(shop, method, path, headers={"Authorization": "Bearer "}, **kwargs)
            assert response.status_code == 401, path
            assert "SHOP_CONTROL_TOKEN" in response.json()["error"]
        assert call(shop, "GET", "/settings").json()["down"] is False


def test_the_apps_control_sends_the_configured_token(shop, settings):
    settings.SHOP_CONTROL_TOKEN = shop.control_token
    assert ShopControl(shop.url).configure(latency_s=0.5)["latency_s"] == 0.5

    settings.SHOP_CONTROL_TOKEN = "not-the-shops-token"
    with pytest.raises(ShopControlError, match="SHOP_CONTROL_TOKEN"):
        ShopControl(shop.url).reset()
    assert shop.settings()["latency_s"] == 0.5

"""The shop changing its mind, against a real shop process: POST /orders/{key}/cancel-by-shop (control token)
and the knob shop_cancel_rate; the client sees it in its ledger and, in callback mode, gets a signed
`order.cancelled` event that the Standard Webhooks library verifies."""

import pytest
import requests
from django.conf import settings
from standardwebhooks import Webhook

from tests.shop.orders import TIMEOUT_S, an_order, post_order
from tests.support.waiting import wait_until


def cancel_by_shop(shop, key: str, headers=None, **body):
    return requests.post(f"{shop.url}/orders/{key}/cancel-by-shop", json=body,
                         headers=shop.auth_header if headers is None else headers, timeout=TIMEOUT_S)


def own_entry(shop, key: str) -> dict:
    return requests.get(f"{shop.url}/orders/{key}", headers=shop.client_auth, timeout=TIMEOUT_S).json()


def test_the_shop_cancels_an_accepted_order_and_its_client_sees_why(shop):
    post_order(shop, "key-1")

    response = cancel_by_shop(shop, "key-1", reason="the oven broke")
    repeat = cancel_by_shop(shop, "key-1", reason="the oven broke")

    assert response.status_code == 200 and repeat.json() == response.json()
    entry = own_entry(shop, "key-1")
    assert (entry["status"], entry["cancelled_by"], entry["cancel_reason"]) == ("cancelled", "shop", "the oven broke")
    # Placing it again under its key is refused, as for any cancelled key.
    assert post_order(shop, "key-1").status_code == 409


@pytest.mark.parametrize("headers", [{}, "client"], ids=["anonymous", "a-client-key"])
def test_only_the_operator_may_make_the_shop_cancel(shop, headers):
    post_order(shop, "key-1")
    response = cancel_by_shop(shop, "key-1", headers=shop.client_auth if headers == "client" else headers)
    assert response.status_code == 401
    assert own_entry(shop, "key-1")["status"] == "accepted"


@pytest.mark.parametrize("body, field", [({"reason": 7}, "reason"), ({"reason": "x" * 201}, "reason"), ({"why": "x"}, "why")])
def test_bad_input_is_400_naming_the_field(shop, body, field):
    post_order(shop, "key-1")
    response = cancel_by_shop(shop, "key-1", **body)
    assert response.status_code == 400 and list(response.json()["errors"]) == [field]


def test_what_the_shop_cannot_cancel(shop):
    assert cancel_by_shop(shop, "never-placed").status_code == 404
    shop.configure(mode="callback", latency_s=600)
    post_order(shop, "pending-1", an_order(callback_url="http://127.0.0.1:9/hook"))
    assert cancel_by_shop(shop, "pending-1").status_code == 409  # not accepted yet
    shop.configure(mode="sync", latency_s=0)
    post_order(shop, "key-2")
    requests.post(f"{shop.url}/orders/key-2/cancel", headers=shop.client_auth, timeout=TIMEOUT_S)
    assert cancel_by_shop(shop, "key-2").status_code == 409  # its client cancelled it already


def test_two_clients_with_one_key_need_the_client_named(shop):
    other = {"Authorization": f"Bearer {shop.new_client('other')}"}
    post_order(shop, "same-key")
    post_order(shop, "same-key", headers=other)
    ambiguous = cancel_by_shop(shop, "same-key")
    assert ambiguous.status_code == 409 and list(ambiguous.json()["errors"]) == ["client"]
    assert cancel_by_shop(shop, "same-key", client="other").status_code == 200
    assert own_entry(shop, "same-key")["status"] == "accepted"  # the app's own, untouched


def test_in_callback_mode_the_client_gets_a_signed_cancellation_event(shop, webhook):
    shop.configure(mode="callback")
    post_order(shop, "key-1", an_order(callback_url=webhook.url))
    webhook.wait_for(1)  # the acceptance

    cancel_by_shop(shop, "key-1", reason="out of dough")
    accepted, cancelled = webhook.wait_for(2)

    event = Webhook(settings.SHOP_WEBHOOK_SECRET.encode()).verify(cancelled.body, cancelled.headers)
    assert (event["event"], event["status"], event["reason"], event["idempotency_key"]) == (
        "order.cancelled", "cancelled", "out of dough", "key-1")
    assert event["shop_order_id"] == accepted.json()["shop_order_id"]
    assert cancelled.headers["webhook-id"] != accepted.headers["webhook-id"]


def test_shop_cancel_rate_cancels_accepted_orders_some_seconds_later(shop):
    shop.configure(shop_cancel_rate=1.0, shop_cancel_after_s=0.5)
    assert post_order(shop, "key-1").status_code == 201
    assert own_entry(shop, "key-1")["status"] == "accepted"  # accepted first, as the caller was told

    wait_until(lambda: own_entry(shop, "key-1")["status"] == "cancelled", timeout=10, message="the shop's cancellation")
    entry = own_entry(shop, "key-1")
    assert (entry["cancelled_by"], entry["cancel_reason"]) == ("shop", "out of dough")


@pytest.mark.parametrize("knobs, field", [
    ({"shop_cancel_rate": 1.5}, "shop_cancel_rate"), ({"shop_cancel_rate": "half"}, "shop_cancel_rate"),
    ({"shop_cancel_after_s": -1}, "shop_cancel_after_s"),
])
def test_the_knobs_are_validated(shop, knobs, field):
    response = requests.put(f"{shop.url}/settings", json=knobs, headers=shop.auth_header, timeout=TIMEOUT_S)
    assert response.status_code == 400 and list(response.json()["errors"]) == [field]
    assert shop.settings()["shop_cancel_rate"] == 0.0

"""A body over the upload limit gets JSON naming the limit (413), on every endpoint that speaks JSON: the order
API, the shop's webhook, and the shop simulator itself (over HTTP, as the demo runs it, DEBUG on). Before, the
webhook and the shop answered Django's 400 HTML page (89 KB with DEBUG)."""

import json

import pytest
import requests

from orders.models import Order

from ..api.helpers import order_body, post_order

pytestmark = pytest.mark.django_db

DJANGO_DEFAULT_LIMIT = 2_621_440  # DATA_UPLOAD_MAX_MEMORY_SIZE, unchanged in the project's settings


def assert_names_the_limit(response, limit: int, length: int) -> str:
    """The 413's message, checked; each endpoint keeps its own error shape (asserted by the caller)."""
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["limit_bytes"] == limit
    message = body.get("message") or body.get("error") or body["errors"]["body"]
    said = f"The body is {length:,} bytes; at most {limit:,} bytes are accepted (DATA_UPLOAD_MAX_MEMORY_SIZE)."
    assert message.startswith(said)
    return message


def test_the_api_names_the_limit(client, menu, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = json.dumps(order_body(customer={"address": "x" * 2000}))
    response = post_order(client, raw=raw)
    message = assert_names_the_limit(response, 1000, len(raw))
    assert response.json()["errors"] == [{"field": "body", "message": message}]  # the API's shape
    assert Order.objects.count() == 0


def test_the_webhook_names_the_limit(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = json.dumps({"delivery_id": "d" * 2000})
    response = client.post("/webhooks/shop", raw, content_type="application/json")
    assert response.json()["error"] == assert_names_the_limit(response, 1000, len(raw))  # the webhook's shape


def test_the_customers_form_is_not_a_json_endpoint(client, menu, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert client.post("/", {"name": "x" * 2000}).status_code == 400  # Django's own answer for a page


@pytest.mark.parametrize("path", ["/orders", "/settings", "/no-such-endpoint"])
def test_the_shop_names_the_limit(shop, path):
    raw = b'{"customer": {"name": "' + b"x" * DJANGO_DEFAULT_LIMIT + b'"}}'
    response = requests.post(f"{shop.url}{path}", data=raw, timeout=30, headers={
        "Content-Type": "application/json", "Idempotency-Key": "big-body", "Authorization": "Bearer whatever"})
    message = assert_names_the_limit(response, DJANGO_DEFAULT_LIMIT, len(raw))
    assert response.json()["errors"] == {"body": message}  # the shop's shape
    assert len(response.content) < 1000


def test_the_batch_endpoint_keeps_its_own_larger_limit(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = "pizza,size,quantity,name,email,address\n" + "margherita,small,1,A,a@example.com,B\n" * 100  # 3,900 bytes
    response = client.post("/api/order-batches", raw, content_type="text/csv")
    assert response.status_code != 413 and "limit_bytes" not in response.json()  # BATCH_MAX_BYTES applies

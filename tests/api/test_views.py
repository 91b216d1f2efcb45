"""The order API's contract, as a client sees it: status codes, headers, bodies, errors naming fields."""

import json

import pytest
from django.test import Client

from orders.models import Order, Pizza
from workflow.attempt import store_order
from workflow.models import CustomerWait, IdempotencyRecord

from .helpers import fields_named, order_body, post_order

pytestmark = pytest.mark.django_db


# --- POST /api/orders --------------------------------------------------------------------------------


def test_an_order_is_accepted_at_once_with_where_to_follow_it(client, menu):
    response = post_order(client)

    assert response.status_code == 202
    answer = response.json()
    order = Order.objects.get()
    assert answer == {
        "id": str(order.public_id),
        "status": "received",
        "status_url": f"http://testserver/api/orders/{order.public_id}",
        "page_url": f"http://testserver/orders/{order.public_id}/",
    }
    assert response["Location"] == answer["status_url"]
    assert client.get(answer["status_url"]).json()["id"] == answer["id"]
    assert client.get(answer["page_url"]).status_code == 200


def test_the_order_is_what_the_form_would_have_made(client, menu):
    post_order(client, order_body(customer={"name": "  Grace Hopper  "}, callback_url="http://127.0.0.1:9/hook"))
    order = Order.objects.get()
    assert (order.pizza.slug, order.size, order.quantity) == ("margherita", "large", 2)
    assert (order.customer_name, order.customer_email, order.delivery_address) == (
        "Grace Hopper", "grace@example.com", "1 Compiler Way"
    )
    assert str(order.total_price) == "25.00"
    assert order.callback_url == "http://127.0.0.1:9/hook"
    assert CustomerWait.objects.get().source == "api"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/vnd.pizza+json"])
def test_any_json_media_type_will_do(client, menu, content_type):
    assert post_order(client, content_type=content_type).status_code == 202


def test_a_client_needs_no_csrf_token(menu):
    # Machine clients send no cookies, so the API has nothing for a forged cross-site request to ride on.
    response = post_order(Client(enforce_csrf_checks=True))
    assert response.status_code == 202


@pytest.mark.parametrize(
    "raw, content_type, status",
    [
        ("{not json", "application/json", 400),
        ("", "application/json", 400),
        ("[]", "application/json", 400),
        ("null", "application/json", 400),
        ('"an order"', "application/json", 400),
        ('{"pizza": "\\ud800"}', "application/json", 400),  # a lone surrogate: no database can store it
        ("1" * 5000, "application/json", 400),  # more digits than Python will read
        ("[" * 100_000, "application/json", 400),  # nested deeper than the parser goes
        ("pizza=margherita", "application/x-www-form-urlencoded", 415),
        ('{"pizza": "margherita"}', "text/plain", 415),
    ],
    ids=["malformed", "empty", "array", "null", "string", "surrogate", "huge-literal", "deep", "form", "text"],
)
def test_a_body_that_is_not_a_json_object_is_refused_as_a_whole(client, menu, raw, content_type, status):
    response = post_order(client, raw=raw, content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["message"] and response.json()["errors"] == []
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "body, fields",
    [
        (order_body(quantity="2"), ["quantity"]),
        (order_body(quantity=2.5), ["quantity"]),
        (order_body(quantity=True), ["quantity"]),
        (order_body(quantity=10**40), ["quantity"]),
        (order_body(quantity=1e308), ["quantity"]),
        (order_body(quantity=0), ["quantity"]),
        (order_body(quantity=21), ["quantity"]),
        (order_body(size="family"), ["size"]),
        (order_body(pizza="pineapple-only"), ["pizza"]),
        (order_body(pizza=None), ["pizza"]),
        (order_body(pizza="mar\x00gherita", customer={"name": "Gr\x00ce"}), ["pizza", "customer.name"]),
        (order_body(customer=None), ["customer"]),
        (order_body(customer={"email": "not-an-email", "name": "   "}), ["customer.name", "customer.email"]),
        (order_body(customer={"email": "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "example.com"}), ["customer.email"]),
        (order_body(customer={"address": "x" * 301}), ["customer.address"]),
        (order_body(customer={"nickname": "Amazing Grace"}), ["customer.nickname"]),
        (order_body(callback_url="ftp://example.com/hook"), ["callback_url"]),
        (order_body(callback_url="example.com/hook"), ["callback_url"]),
        (order_body(callback_url=5), ["callback_url"]),
        (order_body(extra=1), ["extra"]),
        ({"pizza": "margherita"}, ["size", "quantity", "customer"]),
    ],
    ids=[
        "quantity-string", "quantity-float", "quantity-bool", "quantity-huge", "quantity-1e308", "quantity-0",
        "quantity-21", "size", "unknown-pizza", "pizza-null", "nul-characters", "customer-null", "name-blank-and-email",
        "email-longer-than-the-model-holds", "address-too-long", "unknown-customer-field", "callback-ftp",
        "callback-no-scheme", "callback-number", "unknown-field", "missing",
    ],
)
def test_each_offending_field_is_named(client, menu, body, fields):
    response = post_order(client, body)
    assert response.status_code == 422
    assert set(fields_named(response)) == set(fields)
    assert all(error["message"] for error in response.json()["errors"])
    assert Order.objects.count() == 0


def test_a_pizza_off_the_menu_cannot_be_ordered(client, menu):
    Pizza.objects.filter(slug="hawaii").update(is_available=False)
    response = post_order(client, order_body(pizza="hawaii"))
    assert response.status_code == 422 and fields_named(response) == ["pizza"]


def test_a_bad_idempotency_key_is_named(client, menu):
    for key in ["has space", "x" * 256, ""]:
        response = post_order(client, key=key)
        assert response.status_code == 422, key
        assert fields_named(response) == ["Idempotency-Key"]
    assert Order.objects.count() == 0


# --- Idempotency-Key ---------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_gets_the_same_order(client, menu):
    first = post_order(client, key="retry-1")
    again = post_order(client, key="retry-1")
    reordered = post_order(client, raw=json.dumps(order_body(), indent=4, sort_keys=True), key="retry-1")

    assert first.status_code == 202
    assert again.status_code == reordered.status_code == 200  # nothing new was placed
    assert first.json() == again.json() == reordered.json()
    assert again["Location"] == first["Location"]
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_and_says_why(client, menu):
    post_order(client, key="retry-2")
    response = post_order(client, order_body(quantity=3), key="retry-2")

    assert response.status_code == 422
    assert fields_named(response) == ["Idempotency-Key"]
    assert "different body" in response.json()["message"]
    assert Order.objects.count() == 1


def test_a_key_whose_request_failed_is_free_for_the_retry(client, menu):
    assert post_order(client, order_body(quantity=0), key="retry-3").status_code == 422
    assert post_order(client, key="retry-3").status_code == 202
    assert IdempotencyRecord.objects.get(source="api", key="retry-3").order == Order.objects.get()


def test_without_a_key_each_request_is_a_new_order(client, menu):
    assert [post_order(client).status_code for _ in range(2)] == [202, 202]
    assert Order.objects.count() == 2


# --- GET /api/orders/{id} ----------------------------------------------------------------------------


# A fixed unknown id: test ids must be the same in every pytest-xdist process that collects them.
@pytest.mark.parametrize("order_id", ["3aa53bae-0529-4ada-a185-e39aaa375eb7", "not-a-uuid", "1", "%20"])
def test_an_unknown_or_malformed_id_is_a_json_404(client, order_id):
    response = client.get(f"/api/orders/{order_id}")
    assert response.status_code == 404
    assert response.json() == {"message": "No order has this id.", "errors": []}


def test_an_order_shows_its_status_attempts_and_the_shops_reference(client, menu, shop):
    shop.configure(failure_rate=1.0)
    order_id = post_order(client).json()["id"]
    order = Order.objects.get(public_id=order_id)
    store_order(order.pk)  # fails: the shop is failing every call
    shop.configure(failure_rate=0.0)
    Order.objects.filter(pk=order.pk).update(next_attempt_at=None)  # due now rather than after the backoff
    store_order(order.pk)

    answer = client.get(f"/api/orders/{order_id}").json()
    order.refresh_from_db()
    assert answer["id"] == order_id and answer["status"] == "confirmed" and answer["mode"] == "async"
    assert answer["shop_order_id"] == order.shop_order_id != ""
    assert [(a["number"], a["outcome"], a["http_status"]) for a in answer["attempts"]] == [
        (1, "transient_error", 503), (2, "accepted", 201)
    ]
    assert all(a["started_at"] and a["finished_at"] for a in answer["attempts"])
    assert answer["created_at"] and answer["confirmed_at"] and answer["failed_at"] is None
    assert (answer["unit_price"], answer["total_price"], answer["currency"]) == ("12.50", "25.00", "EUR")
    assert answer["status_url"].endswith(f"/api/orders/{order_id}")
    assert order.pk not in _integers_named_like_ids(answer)


def _integers_named_like_ids(value, name=""):
    """Every integer in the answer under a key that could carry a row id."""
    if isinstance(value, dict):
        return [n for key, item in value.items() for n in _integers_named_like_ids(item, key)]
    if isinstance(value, list):
        return [n for item in value for n in _integers_named_like_ids(item, name)]
    return [value] if isinstance(value, int) and ("id" in name or name == "pk") else []


# --- GET /api/menu -----------------------------------------------------------------------------------


def test_the_menu_lists_the_available_pizzas_with_a_price_per_size(client, menu):
    Pizza.objects.filter(slug="hawaii").update(is_available=False)
    answer = client.get("/api/menu").json()

    assert answer["currency"] == "EUR"
    assert [size["size"] for size in answer["sizes"]] == ["small", "medium", "large"]
    slugs = [pizza["slug"] for pizza in answer["pizzas"]]
    assert "hawaii" not in slugs and slugs == list(Pizza.objects.available().values_list("slug", flat=True))
    margherita = answer["pizzas"][slugs.index("margherita")]
    assert margherita["name"] == "Margherita"
    assert margherita["prices"] == {"small": "8.50", "medium": "10.50", "large": "12.50"}


# --- The schema and the docs -------------------------------------------------------------------------


def test_the_schema_is_openapi_3_and_documents_every_operation(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {"/api/orders", "/api/orders/{order_id}", "/api/orders/{order_id}/cancel", "/api/menu",
                                    "/api/order-batches", "/api/order-batches/{batch_id}"}
    batches = schema["paths"]["/api/order-batches"]["post"]
    assert set(batches["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert {"200", "202", "400", "413", "415", "422", "429"} <= set(batches["responses"])
    assert "Location" in batches["responses"]["202"]["headers"]
    cancel = schema["paths"]["/api/orders/{order_id}/cancel"]["post"]["responses"]
    assert {"202", "404", "409"} <= set(cancel)
    assert cancel["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    responses = schema["paths"]["/api/orders"]["post"]["responses"]
    assert {"200", "202", "400", "415", "422", "502", "503"} <= set(responses)
    assert responses["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "Location" in responses["202"]["headers"]

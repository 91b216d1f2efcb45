"""Talking to the order API as a client does: JSON in, JSON out."""

import json

ORDER = {
    "pizza": "margherita",
    "size": "large",
    "quantity": 2,
    "customer": {"name": "Grace Hopper", "email": "grace@example.com", "address": "1 Compiler Way"},
}


def order_body(**overrides) -> dict:
    body = json.loads(json.dumps(ORDER))
    customer = overrides.pop("customer", {})
    body.update(overrides)
    if customer is None:
        body["customer"] = None
    else:
        body["customer"].update(customer)
    return body


def post_order(client, body=None, *, key: str | None = None, content_type="application/json", raw: str | None = None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    data = raw if raw is not None else json.dumps(order_body() if body is None else body)
    return client.post("/api/orders", data, content_type=content_type, headers=headers)


def fields_named(response) -> list:
    return [error["field"] for error in response.json()["errors"]]

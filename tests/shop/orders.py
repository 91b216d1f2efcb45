"""Helpers for the API tests: a valid order body and one call to POST /orders, as the app would make it."""

import requests

TIMEOUT_S = 10


def an_order(**overrides) -> dict:
    order = {
        "reference": "ORDER-1",
        "items": [{"pizza": "margherita", "size": "large", "quantity": 2}],
        "customer": {"name": "Ada Lovelace", "address": "12 Analytical Row"},
        "total": "24.00",
    }
    return {**order, **overrides}


def post_order(shop, key: str | None, body=None, **kwargs) -> requests.Response:
    """POST /orders as the shop's client "app", with the key (None: no header) and a body (default: a valid
    order)."""
    headers = {**shop.client_auth, **kwargs.pop("headers", {})}
    if key is not None:
        headers["Idempotency-Key"] = key
    if "data" not in kwargs:
        kwargs["json"] = an_order() if body is None else body
    return requests.post(shop.url + "/orders", headers=headers, timeout=TIMEOUT_S, **kwargs)


def outcome_of(shop, key: str, body=None) -> str:
    """What a caller notices of one call: the status code, or "lost" when the connection was cut."""
    try:
        return str(post_order(shop, key, body).status_code)
    except requests.ConnectionError:
        return "lost"

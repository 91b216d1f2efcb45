"""GET/PUT /settings, POST /reset and GET /stats against a real shop process."""

import pytest
import requests

from tests.shop.orders import TIMEOUT_S, post_order

DEFAULTS = {
    "failure_rate": 0.0,
    "latency_s": 0.0,
    "lost_response_rate": 0.0,
    "down": False,
    "seed": None,
    "mode": "sync",
    "down_for_s": None,
    "down_until": None,
    "cancel_window_s": 300.0,
    "shop_cancel_rate": 0.0,
    "shop_cancel_after_s": 5.0,
}


def put_settings(shop, **kwargs) -> requests.Response:
    """PUT /settings as the operator: with the control token, and JSON unless the test says otherwise."""
    headers = {**shop.auth_header, **kwargs.pop("headers", {})}
    if "data" in kwargs:
        headers.setdefault("Content-Type", "application/json")
    return requests.put(shop.url + "/settings", headers=headers, timeout=TIMEOUT_S, **kwargs)


def test_the_settings_start_at_their_defaults(shop):
    assert shop.settings() == DEFAULTS


def test_a_put_changes_only_the_knobs_it_names(shop):
    shop.configure(latency_s=2.5)

    response = put_settings(shop, json={"failure_rate": 0.25, "seed": 9})

    assert response.status_code == 200
    assert response.json() == {**DEFAULTS, "latency_s": 2.5, "failure_rate": 0.25, "seed": 9}
    assert shop.settings() == response.json()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"failure_rate": 1.5}, "failure_rate"),
        ({"failure_rate": "0.5"}, "failure_rate"),
        ({"latency_s": -1}, "latency_s"),
        ({"latency_s": 601}, "latency_s"),
        ({"lost_response_rate": None}, "lost_response_rate"),
        ({"down": "true"}, "down"),
        ({"down": 1}, "down"),
        ({"seed": 1.5}, "seed"),
        ({"mode": "async"}, "mode"),
        ({"mode": None}, "mode"),
        ({"mood": "grumpy"}, "mood"),
        ({"down_for_s": -1}, "down_for_s"),
        ({"down_for_s": 86401}, "down_for_s"),
        ({"down_for_s": "60"}, "down_for_s"),
        ({"down_for_s": True}, "down_for_s"),
        ({"down_for_s": 10**400}, "down_for_s"),
        ({"cancel_window_s": -0.5}, "cancel_window_s"),
        ({"cancel_window_s": None}, "cancel_window_s"),
        ({"cancel_window_s": 10**400}, "cancel_window_s"),
    ],
)
def test_a_bad_value_is_400_naming_the_field_and_changes_nothing(shop, changes, field):
    response = put_settings(shop, json={"latency_s": 3, **changes})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert shop.settings() == DEFAULTS  # not even the good latency_s was applied


@pytest.mark.parametrize("data", [b"{not json", b"[0.5]", b"", b"null", b'"down"'])
def test_a_body_that_is_not_a_json_object_is_400(shop, data):
    response = put_settings(shop, data=data)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]


def test_stats_count_how_each_call_ended(shop):
    post_order(shop, "a")
    post_order(shop, "a")
    post_order(shop, None)
    shop.configure(failure_rate=1.0)
    post_order(shop, "b")
    shop.configure(failure_rate=0.0, down=True)
    post_order(shop, "c")

    assert shop.stats() == {
        "calls": 5,
        "accepted": 1,
        "acknowledged": 0,
        "replayed": 1,
        "lost_response": 0,
        "failed_injected": 1,
        "down": 1,
        "invalid": 1,
        "callbacks_sent": 0,
        "callback_failures": 0,
        "callbacks_abandoned": 0,
        "ledger_size": 1,
        "clients": len(shop.client_names),
        "duplicate_references": 0,
        "calls_in_progress": 0,  # every call has answered
    }


def test_reset_empties_the_ledger_zeroes_the_stats_and_restores_the_defaults(shop):
    post_order(shop, "a")
    shop.configure(failure_rate=0.5, latency_s=1, down=True, seed=3, mode="callback")

    settings = shop.reset()

    assert settings == DEFAULTS
    assert shop.settings() == DEFAULTS
    assert shop.ledger() == []
    stats = shop.stats()
    assert stats["calls"] == stats["ledger_size"] == 0

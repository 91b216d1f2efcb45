"""POST /orders/{idempotency_key}/cancel against a real shop process: in each state an order can be in, and
under the same injected faults as POST /orders (so that a caller's retries of a cancel can be tested)."""

import time
from datetime import datetime

import pytest
import requests

from tests.shop.orders import TIMEOUT_S, an_order, post_order
from tests.shop.webhook import WAIT_S, WITNESS_KEY, wait_past_the_moment
from tests.support.waiting import wait_until


def cancel(shop, key: str, timeout: float = TIMEOUT_S) -> requests.Response:
    return requests.post(f"{shop.url}/orders/{key}/cancel", headers=shop.client_auth, timeout=timeout)


def look_up(shop, key: str) -> dict:
    return requests.get(f"{shop.url}/orders/{key}", headers=shop.client_auth, timeout=TIMEOUT_S).json()


def test_an_accepted_order_inside_the_window_is_cancelled(shop):
    shop_order_id = post_order(shop, "key-1").json()["shop_order_id"]

    response = cancel(shop, "key-1")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["shop_order_id"], body["idempotency_key"]) == ("cancelled", shop_order_id, "key-1")
    assert body["cancelled_at"] is not None
    assert look_up(shop, "key-1") == body
    [entry] = shop.ledger()
    assert entry["status"] == "cancelled"


def test_a_repeated_cancel_answers_the_same(shop):
    post_order(shop, "key-1")
    first = cancel(shop, "key-1")

    again = [cancel(shop, "key-1") for _ in range(3)]

    assert [response.status_code for response in again] == [200, 200, 200]
    assert all(response.json() == first.json() for response in again)


def test_past_the_window_it_is_409_already_in_the_oven(shop):
    window_s = 0.3
    shop.configure(cancel_window_s=window_s)
    post_order(shop, "key-1")
    accepted_at = datetime.fromisoformat(look_up(shop, "key-1")["accepted_at"]).timestamp()
    wait_until(lambda: time.time() > accepted_at + window_s, timeout=5, interval=0.05,
               message="the end of the window, from the shop's own acceptance time")

    response = cancel(shop, "key-1")

    assert response.status_code == 409
    assert response.json()["error"].startswith("already in the oven")
    assert response.json()["status"] == "accepted"
    assert look_up(shop, "key-1")["status"] == "accepted"  # the pizza is still made
    assert cancel(shop, "key-1").status_code == 409  # and stays too late


def test_a_window_of_zero_refuses_every_cancel_of_an_accepted_order(shop):
    shop.configure(cancel_window_s=0)
    post_order(shop, "key-1")
    assert cancel(shop, "key-1").status_code == 409


def test_a_key_the_shop_never_had_is_404(shop):
    post_order(shop, "key-1")

    response = cancel(shop, "never-sent")

    assert response.status_code == 404
    assert "never had" in response.json()["error"]
    assert [entry["status"] for entry in shop.ledger()] == ["accepted"]


def test_a_cancelled_key_places_nothing_again(shop):
    """A caller that retries the order after cancelling it gets 409, never a 200 that reads as accepted."""
    post_order(shop, "key-1")
    cancel(shop, "key-1")

    response = post_order(shop, "key-1")

    assert response.status_code == 409
    assert response.json()["status"] == "cancelled"
    [entry] = shop.ledger()
    assert entry["status"] == "cancelled" and shop.stats()["ledger_size"] == 1


def test_a_pending_order_in_callback_mode_is_cancelled_and_never_called_back(shop, webhook):
    shop.configure(mode="callback", latency_s=1.5)
    ticket = post_order(shop, "key-1", an_order(callback_url=webhook.url)).json()["ticket"]

    response = cancel(shop, "key-1")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["shop_order_id"]) == ("cancelled", ticket)
    assert response.json()["accepted_at"] is None
    # A second order, decided after the same latency, shows when the first would have been called back.
    post_order(shop, "key-2", an_order(reference="ORDER-2", callback_url=webhook.url))
    # Its callback is the witness: the shop decided it after key-1's moment, so key-1's thread has woken too
    # (had it accepted the cancelled order, the look-up below would say so).
    webhook.wait_for_key("key-2")
    assert [d.json()["idempotency_key"] for d in webhook.deliveries] == ["key-2"]
    assert look_up(shop, "key-1")["status"] == "cancelled"
    # The webhook has key-2's callback before the shop has its answer and counts it.
    assert wait_until(lambda: shop.stats()["callbacks_sent"], timeout=WAIT_S, message="key-2 counted sent") == 1


def test_a_pending_order_is_cancellable_whatever_the_window(shop, webhook):
    shop.configure(mode="callback", latency_s=5, cancel_window_s=0)
    post_order(shop, "key-1", an_order(callback_url=webhook.url))
    assert cancel(shop, "key-1").status_code == 200


def test_an_order_accepted_by_its_callback_is_cancellable_inside_the_window(shop, webhook):
    shop.configure(mode="callback")
    post_order(shop, "key-1", an_order(callback_url=webhook.url))
    webhook.wait_for(1)

    assert cancel(shop, "key-1").json()["status"] == "cancelled"


# --- The fault knobs apply to a cancel as to an order -------------------------------------------------


def test_a_down_shop_answers_503_and_cancels_nothing(shop):
    post_order(shop, "key-1")
    shop.configure(down=True)

    assert cancel(shop, "key-1").status_code == 503
    assert look_up(shop, "key-1")["status"] == "accepted"


def test_an_injected_failure_is_503_and_the_retry_cancels(shop):
    post_order(shop, "key-1")
    shop.configure(failure_rate=1.0)
    assert cancel(shop, "key-1").status_code == 503
    assert look_up(shop, "key-1")["status"] == "accepted"

    shop.configure(failure_rate=0.0)
    assert cancel(shop, "key-1").json()["status"] == "cancelled"


def test_a_lost_response_cancels_and_cuts_the_connection_and_the_retry_learns_it(shop):
    post_order(shop, "key-1")
    shop.configure(lost_response_rate=1.0)

    with pytest.raises(requests.ConnectionError):
        cancel(shop, "key-1")

    assert look_up(shop, "key-1")["status"] == "cancelled"
    shop.configure(lost_response_rate=0.0)
    assert cancel(shop, "key-1").json()["status"] == "cancelled"


def test_latency_delays_a_cancel_in_sync_mode(shop):
    post_order(shop, "key-1")
    shop.configure(latency_s=1)
    started = time.monotonic()

    assert cancel(shop, "key-1").status_code == 200
    assert time.monotonic() - started >= 1.0


def test_a_cancel_racing_the_callback_decision_ends_one_way_only(shop, webhook):
    """Pending orders decided while their cancels arrive: each ends cancelled; one cancelled before its
    decision (accepted_at empty) is never called back, one decided first is called back once."""
    decision_after_s = 0.3
    shop.configure(mode="callback", latency_s=decision_after_s)
    keys = [f"race-{n}" for n in range(8)]
    for n, key in enumerate(keys):
        post_order(shop, key, an_order(reference=f"R-{n}", callback_url=webhook.url))
    # Not a wait for an event: a deliberate spread of the cancels over twice the decisions' delay, so that
    # the early ones likely come before their order's decision and the late ones after it. Whichever side
    # each lands on, the assertions hold; the spread only makes both sides likely to be exercised.
    pause_between_cancels_s = 2 * decision_after_s / len(keys)
    answers = []
    for key in keys:
        answers.append(cancel(shop, key).status_code)
        time.sleep(pause_between_cancels_s)

    entries = {key: look_up(shop, key) for key in keys}
    decided_first = {key for key, entry in entries.items() if entry["accepted_at"] is not None}
    wait_until(lambda: len(webhook.deliveries) >= len(decided_first), timeout=WAIT_S, message="the callbacks")
    # Past every decision's moment by the shop's own clock: a callback that was still to come has been decided.
    wait_past_the_moment(shop, webhook, after_s=decision_after_s)

    assert answers == [200] * len(keys)  # pending or inside the window: always cancellable
    assert all(entry["status"] == "cancelled" for entry in entries.values())
    called_back = [d.json()["idempotency_key"] for d in webhook.deliveries if d.json()["idempotency_key"] != WITNESS_KEY]
    assert sorted(called_back) == sorted(decided_first)
    assert all(look_up(shop, key)["status"] == "cancelled" for key in keys)

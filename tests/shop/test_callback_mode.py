"""Callback mode against a real shop process and a real webhook: POST /orders acknowledges at once (202),
then the shop decides the order and POSTs the decision to the order's callback_url, signed, trying again
while the webhook is down.

Timing is asserted from below only (a callback comes no sooner than it should); waits are bounded polls.
"""

import json
import time
import uuid

import pytest
import requests
from django.conf import settings
from standardwebhooks import Webhook

from shop import callbacks
from shop.callbacks import backoff_s
from tests.shop.orders import TIMEOUT_S, an_order, post_order
from tests.shop.webhook import WAIT_S, WITNESS_KEY, WebhookReceiver, wait_past_the_moment
from tests.support.ports import free_port
from tests.support.shop_process import ShopProcess
from tests.support.waiting import wait_until


def callback_order(webhook: WebhookReceiver, **overrides) -> dict:
    return an_order(callback_url=webhook.url, **overrides)


def look_up(shop, key: str) -> dict:
    response = requests.get(f"{shop.url}/orders/{key}", headers=shop.client_auth, timeout=TIMEOUT_S)
    assert response.status_code == 200
    return response.json()


def verified_by_the_library(delivery, secret: str | None = None) -> bool:
    """Whether the Standard Webhooks library, as any receiver would use it, accepts the callback (it raises
    otherwise). A secret that is not `whsec_<base64>` is handed to it as its bytes."""
    Webhook((secret or settings.SHOP_WEBHOOK_SECRET).encode()).verify(delivery.body, delivery.headers, json_parse=False)
    return True


def stats_once(shop, **counters) -> dict:
    """The shop's stats once the given counters have reached the given values."""

    def reached():
        stats = shop.stats()
        return stats if all(stats[name] >= value for name, value in counters.items()) else None

    return wait_until(reached, timeout=WAIT_S, message=f"stats {counters}")


# --- Acknowledged at once, decided later ----------------------------------------------------------


def test_an_order_is_acknowledged_at_once_and_called_back_after_the_latency(shop, webhook):
    shop.configure(mode="callback", latency_s=2)
    sent_at = time.monotonic()

    response = post_order(shop, "key-1", callback_order(webhook))

    assert response.status_code == 202
    ticket = response.json()["ticket"]
    assert response.json() == {"ticket": ticket, "status": "pending"}
    assert ticket.startswith("SHOP-")
    pending = look_up(shop, "key-1")
    assert (pending["status"], pending["shop_order_id"], pending["received"]) == ("pending", ticket, 1)
    assert pending["accepted_at"] is None

    [delivery] = webhook.wait_for(1)
    assert delivery.arrived_at - sent_at >= 2.0
    accepted = look_up(shop, "key-1")
    assert (accepted["status"], accepted["shop_order_id"]) == ("accepted", ticket)
    assert accepted["accepted_at"] is not None


def test_the_callback_carries_the_decision_as_compact_json(shop, webhook):
    shop.configure(mode="callback")
    ticket = post_order(shop, "key-1", callback_order(webhook, reference="ORDER-9")).json()["ticket"]

    [delivery] = webhook.wait_for(1)

    body = delivery.json()
    assert list(body) == ["event", "idempotency_key", "reference", "shop_order_id", "status", "accepted_at"]
    assert delivery.headers["webhook-id"].startswith("msg_")
    assert body == {
        "event": "order.accepted",
        "idempotency_key": "key-1",
        "reference": "ORDER-9",
        "shop_order_id": ticket,
        "status": "accepted",
        "accepted_at": look_up(shop, "key-1")["accepted_at"],
    }
    assert delivery.body == json.dumps(body, separators=(",", ":")).encode()
    assert delivery.path == "/webhooks/shop"
    assert delivery.headers["content-type"] == "application/json"


def test_the_callback_is_signed_with_the_webhook_secret_and_a_fresh_timestamp(shop, webhook):
    shop.configure(mode="callback")
    sent_at = int(time.time())

    post_order(shop, "key-1", callback_order(webhook))
    [delivery] = webhook.wait_for(1)

    assert sent_at <= int(delivery.headers["webhook-timestamp"]) <= time.time()
    assert verified_by_the_library(delivery)
    stats = stats_once(shop, callbacks_sent=1)
    assert (stats["callback_failures"], stats["callbacks_abandoned"]) == (0, 0)


# --- A webhook that is down, slow or refusing ------------------------------------------------------


def test_a_webhook_answering_5xx_or_429_gets_the_same_delivery_again_signed_afresh(shop, webhook):
    webhook.answer_next(503, 429, 503)
    shop.configure(mode="callback")

    post_order(shop, "key-1", callback_order(webhook))
    deliveries = webhook.wait_for(4)

    assert len({delivery.body for delivery in deliveries}) == 1
    assert len({delivery.headers["webhook-id"] for delivery in deliveries}) == 1  # one message, tried again
    for delivery in deliveries:
        assert verified_by_the_library(delivery)
    gaps = [later.arrived_at - earlier.arrived_at for earlier, later in zip(deliveries, deliveries[1:])]
    assert all(gap >= backoff_s(tries) for tries, gap in enumerate(gaps, start=1))  # 0.5, 1 and 2 s at least
    stats = stats_once(shop, callbacks_sent=1)
    assert (stats["callback_failures"], stats["callbacks_abandoned"]) == (3, 0)
    assert len(webhook.deliveries) == 4


def test_a_webhook_that_does_not_listen_yet_is_tried_until_it_does(shop):
    port = free_port()
    shop.configure(mode="callback")

    post_order(shop, "key-1", an_order(callback_url=f"http://127.0.0.1:{port}/webhooks/shop"))
    stats_once(shop, callback_failures=2)  # connections refused
    with WebhookReceiver(port=port) as webhook:
        [delivery] = webhook.wait_for(1)
        stats = stats_once(shop, callbacks_sent=1)

    assert delivery.json()["idempotency_key"] == "key-1"
    assert stats["callback_failures"] >= 2


def test_a_webhook_slower_than_the_timeout_is_tried_again_and_holds_up_no_other_callback(shop, webhook):
    webhook.answer_next(200, delay_s=callbacks.TIMEOUT_S + 1)
    shop.configure(mode="callback")

    post_order(shop, "slow", callback_order(webhook, reference="slow"))
    webhook.wait_for(1)
    post_order(shop, "quick", callback_order(webhook, reference="quick"))
    deliveries = webhook.wait_for(3)

    assert [delivery.json()["idempotency_key"] for delivery in deliveries] == ["slow", "quick", "slow"]
    assert deliveries[2].body == deliveries[0].body
    # The receiver stamps arrivals; the shop's timeout started when it sent, a moment earlier, so only the
    # timeout itself is a bound the gap must clear (the back-off after it is not, by the receiver's clock).
    assert deliveries[2].arrived_at - deliveries[0].arrived_at >= callbacks.TIMEOUT_S
    stats = stats_once(shop, callbacks_sent=2)
    assert stats["callback_failures"] == 1


def test_a_409_ends_the_deliveries_as_sent(shop, webhook):
    webhook.answer_next(409)  # the app's "already processed this delivery"
    shop.configure(mode="callback")

    post_order(shop, "key-1", callback_order(webhook))
    stats = stats_once(shop, callbacks_sent=1)

    assert (stats["callback_failures"], stats["callbacks_abandoned"]) == (0, 0)
    assert len(webhook.deliveries) == 1  # the delivery was counted, so its thread has finished


@pytest.mark.parametrize("refusal", [401, 404])
def test_another_4xx_is_a_refusal_that_ends_the_deliveries(shop, webhook, refusal):
    webhook.answer_next(refusal)
    shop.configure(mode="callback")

    post_order(shop, "key-1", callback_order(webhook))
    stats = stats_once(shop, callbacks_abandoned=1)

    assert (stats["callbacks_sent"], stats["callback_failures"]) == (0, 1)
    assert len(webhook.deliveries) == 1
    assert look_up(shop, "key-1")["status"] == "accepted"  # the decision stands; the app can ask for it


# --- Repeats, faults and the ledger ----------------------------------------------------------------


def test_a_repeat_while_pending_answers_202_with_the_same_ticket_and_places_nothing_new(shop, webhook):
    shop.configure(mode="callback", latency_s=600)

    first = post_order(shop, "key-1", callback_order(webhook))
    second = post_order(shop, "key-1", callback_order(webhook))

    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json() == first.json()
    [entry] = shop.ledger()
    assert (entry["status"], entry["received"]) == ("pending", 2)
    stats = shop.stats()
    assert (stats["acknowledged"], stats["replayed"], stats["ledger_size"]) == (1, 1, 1)


def test_a_repeat_once_accepted_answers_200_as_in_sync_mode(shop, webhook):
    shop.configure(mode="callback")
    ticket = post_order(shop, "key-1", callback_order(webhook)).json()["ticket"]
    webhook.wait_for(1)

    repeat = post_order(shop, "key-1", callback_order(webhook))

    assert repeat.status_code == 200
    assert repeat.json() == {"shop_order_id": ticket, "status": "accepted"}
    assert look_up(shop, "key-1")["received"] == 2


def test_a_lost_acknowledgement_still_leads_to_the_callback(shop, webhook):
    shop.configure(mode="callback", lost_response_rate=1.0)

    with pytest.raises(requests.ConnectionError):
        post_order(shop, "key-1", callback_order(webhook))
    [delivery] = webhook.wait_for(1)

    assert delivery.json()["idempotency_key"] == "key-1"
    assert shop.stats()["lost_response"] == 1


def test_an_injected_failure_or_a_down_shop_answers_503_and_records_nothing(shop, webhook):
    shop.configure(mode="callback", failure_rate=1.0)
    failed = post_order(shop, "key-1", callback_order(webhook))
    shop.configure(failure_rate=0.0, down=True)
    down = post_order(shop, "key-1", callback_order(webhook))

    assert (failed.status_code, failed.json()) == (503, {"error": "injected failure"})
    assert (down.status_code, down.json()) == (503, {"error": "shop is down"})
    assert shop.ledger() == []


def test_callback_mode_requires_a_callback_url(shop):
    shop.configure(mode="callback")

    response = post_order(shop, "key-1", an_order())

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["callback_url"]
    assert shop.ledger() == []


@pytest.mark.parametrize("mode", ["sync", "callback"])
def test_a_bad_callback_url_is_422_in_either_mode(shop, mode):
    shop.configure(mode=mode)

    response = post_order(shop, "key-1", an_order(callback_url="ftp://app.test/webhooks/shop"))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["callback_url"]


def test_sync_mode_answers_at_once_and_never_calls_back(shop, webhook):
    response = post_order(shop, "key-1", callback_order(webhook))

    assert response.status_code == 201
    assert response.json()["status"] == "accepted"
    [entry] = shop.ledger()
    assert (entry["status"], entry["callback_url"]) == ("accepted", None)


def test_the_ledger_lists_pending_and_accepted_entries_with_their_status(shop, webhook):
    post_order(shop, "sync-key", an_order(reference="A"))
    shop.configure(mode="callback", latency_s=600)
    post_order(shop, "callback-key", callback_order(webhook, reference="B"))

    ledger = shop.ledger()

    assert [(entry["idempotency_key"], entry["status"]) for entry in ledger] == [
        ("sync-key", "accepted"),
        ("callback-key", "pending"),
    ]
    assert (ledger[1]["accepted_at"], ledger[1]["callback_url"]) == (None, webhook.url)
    assert shop.stats()["ledger_size"] == 2


def test_the_mode_is_a_knob(shop):
    assert shop.settings()["mode"] == "sync"
    assert shop.configure(mode="callback")["mode"] == "callback"
    assert shop.reset()["mode"] == "sync"


# --- Resets and restarts ---------------------------------------------------------------------------


def test_a_reset_drops_an_order_waiting_for_its_decision(shop, webhook):
    shop.configure(mode="callback", latency_s=0.5)
    post_order(shop, "key-1", callback_order(webhook))

    shop.reset()
    # The witness, decided after the moment key-1 would have been: only its own callback comes.
    wait_past_the_moment(shop, webhook, after_s=0.5)

    assert [d.json()["idempotency_key"] for d in webhook.deliveries] == [WITNESS_KEY]
    assert [entry["idempotency_key"] for entry in shop.ledger()] == [WITNESS_KEY]
    assert shop.stats()["callbacks_sent"] == 1


def test_a_reset_stops_the_deliveries_under_way(shop, webhook):
    webhook.answer_next(*[503] * callbacks.MAX_TRIES)
    shop.configure(mode="callback")
    post_order(shop, "key-1", callback_order(webhook))
    webhook.wait_for(2)  # the tries at 0 and 0.5 s; the next would come 1 s after the second

    shop.reset()
    webhook.answer_200_from_now()  # for the witness's callback
    # The witness, decided a whole backoff after the reset, so after the moment of the third try.
    wait_past_the_moment(shop, webhook, after_s=backoff_s(2))

    assert [d.json()["idempotency_key"] for d in webhook.deliveries] == ["key-1", "key-1", WITNESS_KEY]
    stats = shop.stats()
    assert stats["callback_failures"] == stats["callbacks_abandoned"] == 0
    assert (stats["ledger_size"], stats["callbacks_sent"]) == (1, 1)  # the witness only


def test_orders_left_pending_are_decided_and_called_back_after_a_restart(webhook):
    # A shop of its own, to be restarted, signing with a secret of its own.
    secret = "a-secret-for-this-shop-only"
    shop = ShopProcess(extra_env={"SHOP_WEBHOOK_SECRET": secret}).start()
    try:
        shop.configure(mode="callback", latency_s=600)
        ticket = post_order(shop, "key-1", callback_order(webhook)).json()["ticket"]
        shop.configure(latency_s=0)  # too late for this order's wait, which the restart ends

        shop.restart()
        [delivery] = webhook.wait_for(1)
        entry = look_up(shop, "key-1")
    finally:
        shop.stop()

    assert delivery.json()["shop_order_id"] == ticket
    assert verified_by_the_library(delivery, secret)
    assert (entry["status"], entry["accepted_at"]) == ("accepted", delivery.json()["accepted_at"])

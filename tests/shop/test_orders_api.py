"""POST /orders and the ledger, against a real shop process: an order is placed once per idempotency key."""

import threading

import requests

from tests.shop.orders import TIMEOUT_S, an_order, post_order


def test_a_new_key_is_accepted_and_placed(shop):
    response = post_order(shop, "key-1")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "accepted"
    assert body["shop_order_id"].startswith("SHOP-")
    [entry] = shop.ledger()
    assert entry["idempotency_key"] == "key-1"
    assert entry["shop_order_id"] == body["shop_order_id"]
    assert entry["received"] == 1


def test_a_repeated_key_answers_200_with_the_same_order_and_places_nothing_new(shop):
    first = post_order(shop, "key-1")
    second = post_order(shop, "key-1")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    [entry] = shop.ledger()
    assert entry["received"] == 2
    assert shop.stats()["accepted"] == 1
    assert shop.stats()["replayed"] == 1


def test_concurrent_calls_with_one_key_place_one_order(shop):
    start_together = threading.Barrier(8)
    responses, responses_lock = [], threading.Lock()

    def call():
        start_together.wait()
        response = post_order(shop, "same-key")
        with responses_lock:
            responses.append(response)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(response.status_code for response in responses) == [200] * 7 + [201]
    assert len({response.json()["shop_order_id"] for response in responses}) == 1
    [entry] = shop.ledger()
    assert entry["received"] == 8


def test_the_ledger_lists_one_entry_per_key_in_order_of_acceptance(shop):
    ids = [post_order(shop, key, an_order(reference=key)).json()["shop_order_id"] for key in ("a", "b", "c")]
    post_order(shop, "b", an_order(reference="b"))

    ledger = shop.ledger()
    assert [entry["idempotency_key"] for entry in ledger] == ["a", "b", "c"]
    assert [entry["shop_order_id"] for entry in ledger] == ids
    assert [entry["received"] for entry in ledger] == [1, 2, 1]
    assert set(ledger[0]) >= {"idempotency_key", "shop_order_id", "received", "accepted_at"}
    assert ledger[0]["accepted_at"] <= ledger[1]["accepted_at"] <= ledger[2]["accepted_at"]


def test_one_entry_can_be_looked_up_by_its_key(shop):
    placed = post_order(shop, "key/with spaces").json()

    response = requests.get(shop.url + "/orders/key%2Fwith%20spaces", headers=shop.client_auth, timeout=TIMEOUT_S)

    assert response.status_code == 200
    assert response.json()["shop_order_id"] == placed["shop_order_id"]
    assert response.json()["status"] == "accepted"


def test_an_unknown_key_is_404(shop):
    response = requests.get(shop.url + "/orders/never-sent", headers=shop.client_auth, timeout=TIMEOUT_S)
    assert response.status_code == 404
    assert response.json() == {"error": "unknown idempotency key"}


def test_invalid_fields_are_422_naming_each_one_and_place_nothing(shop):
    order = an_order(items=[{"pizza": "margherita", "size": "huge", "quantity": 1}], customer={"address": "x"})

    response = post_order(shop, "key-1", order)

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"items[0].size", "customer.name"}
    assert shop.ledger() == []
    assert shop.stats()["invalid"] == 1


def test_a_body_that_is_not_json_is_400(shop):
    response = post_order(shop, "key-1", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"body"}
    assert shop.ledger() == []


def test_a_missing_or_overlong_idempotency_key_is_400(shop):
    for key in (None, "", "k" * 201):
        response = post_order(shop, key)
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"Idempotency-Key"}
    assert shop.ledger() == []


def test_an_invalid_body_is_refused_whatever_the_fault_knobs(shop):
    shop.configure(failure_rate=1.0, lost_response_rate=1.0)
    response = post_order(shop, "key-1", an_order(reference=""))
    assert response.status_code == 422


def test_two_keys_for_one_reference_show_as_a_duplicate(shop):
    # What the app must never do: place the same order under a second key.
    post_order(shop, "first-try", an_order(reference="ORDER-7"))
    post_order(shop, "second-try", an_order(reference="ORDER-7"))

    assert shop.stats()["duplicate_references"] == 1
    assert shop.stats()["ledger_size"] == 2


def test_wrong_methods_and_unknown_paths_answer_json(shop):
    wrong_method = requests.delete(shop.url + "/orders", timeout=TIMEOUT_S)
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json()
    assert "POST" in wrong_method.headers["Allow"]

    for method in ("GET", "POST"):
        unknown = requests.request(method, shop.url + "/menu", timeout=TIMEOUT_S)
        assert unknown.status_code == 404
        assert "error" in unknown.json()


def test_health_answers_ok(shop):
    assert requests.get(shop.url + "/health", timeout=TIMEOUT_S).json() == {"status": "ok"}

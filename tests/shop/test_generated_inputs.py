"""Generated inputs (hypothesis) against a real shop process over HTTP: sequences of calls to every
endpoint, with bodies from valid orders through wrong types to raw bytes. Whatever is sent, no answer is a
5xx, every answer is JSON, and the ledger is what the answers said: an order exists exactly when a call
answered 201 for it, it is cancelled exactly when a cancel answered 200, and `received` counts the calls
that reached it."""

import json
import string
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.shop.orders import TIMEOUT_S, an_order

SAFE_KNOBS = {"failure_rate": 0.0, "latency_s": 0.0, "lost_response_rate": 0.0, "down": False, "mode": "sync"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
# Keys as a client would send them in a header; some repeat, so that replays and cancels find entries.
keys = st.one_of(
    st.sampled_from(["key-1", "key-2", "key-3"]),
    st.text(alphabet=string.ascii_letters + string.digits + "-_/%?#.:~", max_size=210),
)
orders = st.one_of(
    st.builds(lambda ref: an_order(reference=ref), st.text(min_size=1, max_size=210)),
    st.builds(
        lambda field, value: {**an_order(), field: value},
        st.sampled_from(["reference", "items", "customer", "total", "callback_url", "extra"]),
        json_values,
    ),
    st.builds(
        lambda name, address: an_order(customer={"name": name, "address": address}),
        st.text(max_size=220), st.text(max_size=520),
    ),
    json_values,
)
raw_bodies = st.one_of(st.binary(max_size=300), json_values.map(lambda value: json.dumps(value).encode()))

operations = st.one_of(
    st.tuples(st.just("place"), keys, orders),
    st.tuples(st.just("place_raw"), keys, raw_bodies),
    st.tuples(st.just("cancel"), keys, st.none()),
    st.tuples(st.just("look_up"), keys, st.none()),
    st.tuples(st.just("settings"), st.none(), st.one_of(json_values, raw_bodies)),
    st.tuples(st.just("reset"), st.none(), raw_bodies),
)


class Model:
    """What the answers so far say the ledger holds: key -> [status, received]."""

    def __init__(self):
        self.entries: dict[str, list] = {}


def answered(response: requests.Response) -> requests.Response:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    response.json()  # every answer is JSON
    return response


def run(shop, model: Model, operation) -> None:
    kind, key, payload = operation
    control = {**shop.auth_header, "Content-Type": "application/json"}
    if kind in ("place", "place_raw"):
        body = json.dumps(payload).encode() if kind == "place" else payload
        headers = {"Idempotency-Key": key, "Content-Type": "application/json", **shop.client_auth}
        response = answered(requests.post(shop.url + "/orders", data=body, headers=headers, timeout=TIMEOUT_S))
        entry = model.entries.get(key)
        if response.status_code == 201:
            assert entry is None
            model.entries[key] = ["accepted", 1]
        elif response.status_code in (200, 409):
            assert entry is not None and entry[0] == {200: "accepted", 409: "cancelled"}[response.status_code]
            entry[1] += 1
        else:
            assert response.status_code in (400, 422), response.status_code
    elif kind == "cancel":
        response = answered(requests.post(f"{shop.url}/orders/{quote(key, safe='')}/cancel", headers=shop.client_auth, timeout=TIMEOUT_S))
        if response.status_code == 200:
            assert key in model.entries and response.json()["status"] == "cancelled"
            model.entries[key][0] = "cancelled"
        else:
            assert response.status_code in (400, 404), response.status_code  # never 409: the window is 300 s
            assert response.status_code == 400 or key not in model.entries
    elif kind == "look_up":
        response = answered(requests.get(f"{shop.url}/orders/{quote(key, safe='')}", headers=shop.client_auth, timeout=TIMEOUT_S))
        if response.status_code == 200:
            assert response.json()["status"] == model.entries[key][0]
        else:
            assert response.status_code in (400, 404) and (response.status_code == 400 or key not in model.entries)
    elif kind == "settings":
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = answered(requests.put(shop.url + "/settings", data=body, headers=control, timeout=TIMEOUT_S))
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            shop.configure(**SAFE_KNOBS)  # a generated latency or failure rate must not slow the rest down
    elif kind == "reset":
        response = answered(requests.post(shop.url + "/reset", data=payload, headers=control, timeout=TIMEOUT_S))
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            model.entries.clear()


@given(st.lists(operations, min_size=1, max_size=12))
@settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_generated_calls_never_get_a_5xx_and_the_ledger_agrees_with_the_answers(shop, sequence):
    shop.reset()
    model = Model()
    for operation in sequence:
        run(shop, model, operation)

    ledger = {entry["idempotency_key"]: [entry["status"], entry["received"]] for entry in shop.ledger(details=False)}
    assert ledger == model.entries
    stats = shop.stats()
    assert stats["ledger_size"] == len(model.entries) and stats["duplicate_references"] >= 0


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@given(path=st.text(alphabet=string.printable, max_size=60), body=st.binary(max_size=100))
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_method_on_any_path_answers_json_without_a_5xx(shop, method, path, body):
    url = shop.url + "/" + quote(path, safe="/?=&")
    answered(requests.request(method, url, data=body, headers=shop.auth_header, timeout=TIMEOUT_S))

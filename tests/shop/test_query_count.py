"""The shop's POST /orders handler, in process on the shop's own database: a fixed number of queries per new
order (issue 13: an attempt against a 0 s shop is mostly this handler). A count, not a timing. Before
issue 13's tuning: 10 (its call counter read its row before each increment); before issue 19's: 9 (it
looked for the key before inserting it, and re-read the knobs' row to lock it, which SQLite does at BEGIN)."""

import json
import uuid

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from shop import services
from shop.clients import create_client
from shop.models import ApiClient, CallStats, LedgerEntry

from .orders import an_order

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "shop"])

# The knobs; then one transaction (BEGIN and COMMIT are counted): on PostgreSQL the knobs' row locked (SQLite
# takes its write lock at BEGIN), the entry inserted in a savepoint (3), the call counted.
NEW_ORDER_QUERIES = 7


def place(key: str, client: ApiClient | None = None):
    client = client or ApiClient.objects.first() or create_client("app")[0]
    return services.receive_order(client=client, idempotency_key=key, body=json.dumps(an_order(reference=key)).encode())


def test_a_new_order_costs_a_fixed_number_of_queries_and_is_counted_once():
    assert place(str(uuid.uuid4())).status == 201  # on an empty database: the counters' row is made here
    client = ApiClient.objects.get()  # found by the view from its key, before the handler runs
    with CaptureQueriesContext(connections["shop"]) as captured:
        reply = place(str(uuid.uuid4()), client)
    assert reply.status == 201
    lock = 1 if connections["shop"].features.has_select_for_update else 0
    assert len(captured.captured_queries) == NEW_ORDER_QUERIES + lock, "\n".join(q["sql"] for q in captured.captured_queries)
    assert CallStats.load().to_json()["accepted"] == 2


def test_a_repeated_key_is_counted_as_a_replay():
    key = str(uuid.uuid4())
    assert [place(key).status, place(key).status] == [201, 200]
    counts = CallStats.load().to_json()
    assert (counts["accepted"], counts["replayed"], counts["calls"]) == (1, 1, 2)
    assert LedgerEntry.objects.get(idempotency_key=key).received == 2


def test_a_key_is_per_client_so_another_clients_same_key_is_a_new_order():
    key = str(uuid.uuid4())
    first, second = create_client("first")[0], create_client("second")[0]
    assert [place(key, first).status, place(key, second).status, place(key, first).status] == [201, 201, 200]
    assert sorted(LedgerEntry.objects.filter(idempotency_key=key).values_list("received", flat=True)) == [1, 2]

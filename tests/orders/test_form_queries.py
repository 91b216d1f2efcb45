"""The order form's POST costs a fixed, small number of queries and commits (issue 13: the form within 1.5×
of a bare insert). A count, not a timing: it fails when a change adds a query or a second commit to the
path every customer takes. Before issue 13's tuning: 25 queries and 4 write transactions; 16 before the
rate limit counted in one statement (issue 18); 11 before the key's record was read only on a conflict
(issue 19: every read is a round trip that a rush makes expensive, bench.form_rush)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from workflow.models import CustomerWait

from ..factories import ORDER_FORM

# transactional_db: the commits are what is counted, so no test-wide wrapping transaction.
pytestmark = pytest.mark.django_db(transaction=True)

# The rate limit's counter (one atomic upsert: core.rate_limit; it was a read, then the cache's write
# transaction: count, select, update), the menu item, the settings row (store mode and policy at once), then
# one transaction: the order, its idempotency record, its job, its event and the customer's wait. The
# submission's record is not read first: a new submission is the common case, and a repeat finds its
# record when placing under the key conflicts.
FORM_POST_QUERIES = 10


def write_transactions(statements: list[str]) -> list[list[str]]:
    """The writes grouped by the transaction that committed them (an autocommitted write is one alone); a
    rolled-back transaction wrote nothing."""
    transactions, current = [], None
    for sql in statements:
        word = sql.split(None, 1)[0].upper()
        if word == "BEGIN":
            current = []
        elif word in ("COMMIT", "ROLLBACK"):
            if current and word == "COMMIT":
                transactions.append(current)
            current = None
        elif word in ("INSERT", "UPDATE", "DELETE"):
            if current is None:
                transactions.append([sql])
            else:
                current.append(sql)
    return transactions


def post_order(client):
    return client.post("/", {**ORDER_FORM, "submission": str(uuid.uuid4())})


def test_the_form_post_makes_a_fixed_number_of_queries_and_commits_the_order_once(client, menu):
    post_order(client)  # the rate limit's window and the settings row exist from now on, as on a live site
    with CaptureQueriesContext(connection) as captured:
        response = post_order(client)
    assert response.status_code == 303
    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) == FORM_POST_QUERIES, "\n".join(statements)

    transactions = write_transactions(statements)
    assert len(transactions) == 2, transactions  # the rate limit's counter, then the order
    order_writes = " ".join(transactions[1])
    for table in ("orders_order", "workflow_idempotencyrecord", "django_q_ormq", "workflow_executionevent",
                  "orders_customerwait"):
        assert f'INSERT INTO "{table}"' in order_writes
    order = Order.objects.latest("created_at")
    assert CustomerWait.objects.get(order=order).outcome == "accepted"


def test_the_same_submission_again_records_the_wait_but_places_nothing(client, menu):
    form = {**ORDER_FORM, "submission": str(uuid.uuid4())}
    first = client.post("/", form)
    with CaptureQueriesContext(connection) as captured:
        again = client.post("/", form)
    assert again["Location"] == first["Location"]
    assert Order.objects.count() == 1
    assert CustomerWait.objects.filter(order=Order.objects.get()).count() == 2  # each customer's wait counts
    statements = [query["sql"] for query in captured.captured_queries]
    transactions = write_transactions(statements)
    assert [len(writes) for writes in transactions[1:]] == [1]  # the wait alone, no order, no job
    assert "ROLLBACK" in statements  # the order it tried under the used key, found out by the database

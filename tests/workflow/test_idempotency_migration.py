"""The API's own key table becomes idempotency records (workflow 0009, api 0003): a key a client sent
before the move still answers with its order, and another body under it is still refused."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ..factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("api", "0002_edges"), ("workflow", "0008_customerwait_from_orders")]
AFTER = [("api", "0003_idempotency_record_moved_to_workflow"), ("workflow", "0009_idempotency_record")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_api_keys_are_kept_as_records_and_back(menu):
    old = migrate(BEFORE)
    order = make_order(menu)  # the orders table is not touched by these migrations
    old.get_model("api", "IdempotencyKey").objects.create(key="before-the-move", body_hash="ab" * 32, order_id=order.pk)
    try:
        new = migrate(AFTER)
        [record] = new.get_model("workflow", "IdempotencyRecord").objects.values("source", "key", "request_hash", "order_id")
        assert record == {"source": "api", "key": "before-the-move", "request_hash": "ab" * 32, "order_id": order.pk}

        back = migrate(BEFORE)
        [key] = back.get_model("api", "IdempotencyKey").objects.values("key", "body_hash", "order_id")
        assert key == {"key": "before-the-move", "body_hash": "ab" * 32, "order_id": order.pk}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

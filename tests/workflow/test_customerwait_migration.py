"""CustomerWait moved from orders to workflow: the migrations move the model, and the rows measured before
stay readable after."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("orders", "0005_cancellation_and_mail_state"), ("workflow", "0007_cancellation_event_kinds")]
AFTER = [("orders", "0006_customerwait_moves_to_workflow"), ("workflow", "0008_customerwait_from_orders")]


@pytest.mark.django_db(transaction=True)
def test_waits_measured_before_the_move_are_kept():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_state = executor.loader.project_state(BEFORE).apps
    old_state.get_model("orders", "CustomerWait").objects.create(
        mode="sync", source="form", started_at=timezone.now(), duration_ms=1234, outcome="accepted"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new_state = executor.loader.project_state(AFTER).apps
    assert [wait.duration_ms for wait in new_state.get_model("workflow", "CustomerWait").objects.all()] == [1234]
    with pytest.raises(LookupError):
        new_state.get_model("orders", "CustomerWait")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the other tests expect it

"""A worker's claim locks the order, not its pizza: on PostgreSQL, while a claim's transaction is open, an
order placed for the same pizza commits without waiting for it (its foreign key check takes a share lock on
the pizza's row). Before, the claim's FOR UPDATE covered the joined pizza row, and under a rush every form
commit queued behind the workers' claims (bench.form_rush: most of pg_stat_activity's lock waits).

Needs PostgreSQL (SCALE_OUT_POSTGRES, default the local server); skipped without it."""

import os
import uuid
from decimal import Decimal

import psycopg
import pytest
from django.db import connections, transaction

from orders.models import Order, Pizza
from workflow.attempt import order_to_claim

from ..support.postgres import scratch_database

POSTGRES = os.environ.get("SCALE_OUT_POSTGRES", "postgres://postgres@127.0.0.1:5432")
ALIAS = "claim_lock"



@pytest.fixture
def postgres_orders(django_db_blocker):
    """A scratch PostgreSQL database with the pizza and order tables, reachable as connections[ALIAS] (no
    test database of the suite's is touched, so the blocker is lifted rather than a django_db mark taken)."""
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
    except psycopg.Error as error:
        pytest.skip(f"PostgreSQL is not running here: {error}")
    with scratch_database(POSTGRES, "asyncpizza_claimlock") as url:
        name = url.rsplit("/", 1)[1]
        connections.settings[ALIAS] = {
            **connections.settings["default"], "ENGINE": "django.db.backends.postgresql", "NAME": name,
            "HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres", "PASSWORD": "", "OPTIONS": {},
            "CONN_MAX_AGE": 0, "TEST": {},
        }
        try:
            with django_db_blocker.unblock():
                with connections[ALIAS].schema_editor() as editor:
                    editor.create_model(Pizza)
                    editor.create_model(Order)
                yield url
                connections[ALIAS].close()
        finally:
            del connections[ALIAS]
            del connections.settings[ALIAS]


def test_an_open_claim_leaves_the_pizza_row_free_for_orders_being_placed(postgres_orders):
    pizza = Pizza.objects.using(ALIAS).create(slug="margherita", name="Margherita", price_small=Decimal("8.00"),
                                              price_medium=Decimal("10.00"), price_large=Decimal("12.00"))
    order = Order.objects.using(ALIAS).create(
        pizza=pizza, size="medium", quantity=1, unit_price=Decimal("10.00"), total_price=Decimal("10.00"),
        customer_name="Ada", customer_email="ada@example.com", delivery_address="1 Analytical Street",
        attempt_limit=3, idempotency_key=uuid.uuid4(),
    )
    with transaction.atomic(using=ALIAS):
        claimed = order_to_claim(order.pk).using(ALIAS).first()  # the claim's lock, held until this block ends
        assert claimed.pizza.slug == "margherita"
        with psycopg.connect(postgres_orders, autocommit=True) as placing:
            placing.execute("SET lock_timeout = '500ms'")
            # What an order's foreign key check takes on its pizza at commit, and what an edit of the menu takes.
            placing.execute("SELECT 1 FROM orders_pizza WHERE id = %s FOR KEY SHARE", [pizza.pk])
            placing.execute("UPDATE orders_pizza SET name = name WHERE id = %s", [pizza.pk])
            # The order itself stays locked: a second claim waits (and here gives up after the timeout).
            with pytest.raises(psycopg.errors.LockNotAvailable):
                placing.execute("SELECT 1 FROM orders_order WHERE id = %s FOR UPDATE", [order.pk])

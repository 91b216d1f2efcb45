"""Orphans: shop orders the app does not stand behind are cancelled at the shop, by the late callback's
compensation and by the reconciliation sweep that compares the shop's ledger with our orders."""

import json
import uuid
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from orders.models import Order, OrderStatus
from ..task_paths import ORPHAN_TASK
from workflow.reconciliation import cancel_orphan, reconcile_with_shop
from workflow.retry_policy import RetryPolicy
from workflow.shop_client import ShopUnavailable
from workflow.attempt import store_order

from ..factories import make_order
from ..workflow.test_shop_webhook import callback_body, post, signed

pytestmark = pytest.mark.django_db
POLICY = RetryPolicy(max_attempts=2, base_delay_s=5, max_delay_s=60, jitter=0)


def place_at_shop(shop, key: str, name="Orphan Annie") -> dict:
    body = {"reference": key, "items": [{"pizza": "margherita", "size": "medium", "quantity": 1}],
            "customer": {"name": name, "address": "1 Lost Lane"}, "total": "9.00"}
    response = requests.post(f"{shop.url}/orders", json=body, headers={"Idempotency-Key": key, **shop.client_auth}, timeout=5)
    assert response.status_code == 201
    return response.json()


def held(shop) -> list[str]:
    return [e["idempotency_key"] for e in shop.ledger() if e["status"] in ("accepted", "pending")]


def queued(func):
    return [job["args"] for job in (SignedPackage.loads(row.payload) for row in OrmQ.objects.all()) if job["func"] == func]


def failed_here(menu):
    order = make_order(menu)
    order.begin_attempt(now=timezone.now())
    order.fail(reason="the shop could not be reached after 1 attempts", now=timezone.now())
    return order


def test_a_late_callback_for_a_failed_order_is_refused_and_the_order_cancelled_at_the_shop(client, menu, shop, shop_client):
    order = failed_here(menu)
    place_at_shop(shop, str(order.idempotency_key))  # the shop did take it, after all
    body = callback_body(order)
    assert post(client, body, signed(body)).status_code == 409
    assert queued(ORPHAN_TASK) == [(order.pk, 0)]
    assert cancel_orphan(order.pk, client=shop_client, policy=POLICY) == "cancelled at the shop"
    assert held(shop) == []
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FAILED  # the customer was told: failed
    assert order.events.filter(kind="compensated").exists()


def test_an_order_failed_after_a_lost_last_answer_is_compensated(menu, shop, shop_client):
    """The last answer is lost and the shop cannot be asked: the order fails here, but the shop holds it."""
    shop.configure(lost_response_rate=1.0)
    order = make_order(menu, attempt_limit=1)
    asking = shop_client.look_up
    shop_client.look_up = lambda key, **options: (_ for _ in ()).throw(ShopUnavailable("the look-up timed out"))
    try:
        store_order(order.pk, client=shop_client, policy=POLICY)
    finally:
        shop_client.look_up = asking
    shop.configure(lost_response_rate=0.0)
    orphan = Order.objects.get(pk=order.pk)
    assert orphan.status == OrderStatus.FAILED and orphan.may_be_at_shop
    assert str(orphan.idempotency_key) in held(shop)
    assert queued(ORPHAN_TASK) == [(orphan.pk, 0)]
    assert cancel_orphan(orphan.pk, client=shop_client, policy=POLICY) == "cancelled at the shop"
    assert str(orphan.idempotency_key) not in held(shop)


def test_the_sweep_settles_every_difference_between_the_ledger_and_our_orders(menu, shop, shop_client):
    shop.configure(cancel_window_s=300)
    unknown = str(uuid.uuid4())
    place_at_shop(shop, unknown)  # nobody here ordered this
    failed = failed_here(menu)
    place_at_shop(shop, str(failed.idempotency_key))
    cancelled = make_order(menu)
    Order.objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED, cancelled_at=timezone.now())
    place_at_shop(shop, str(cancelled.idempotency_key))
    confirmed = make_order(menu)
    store_order(confirmed.pk, client=shop_client, policy=POLICY)
    assert len(held(shop)) == 4

    # An entry unknown to the app is left alone while it is young (a synchronous order may not have committed).
    young = reconcile_with_shop(client=shop_client)
    assert young.unknown_to_app == [] and young.cancelled_at_shop == 2
    assert sorted(young.not_stood_behind) == sorted([str(failed.idempotency_key), str(cancelled.idempotency_key)])
    assert sorted(held(shop)) == sorted([unknown, str(confirmed.idempotency_key)])

    result = reconcile_with_shop(client=shop_client, now=timezone.now() + timedelta(minutes=5))
    assert result.unknown_to_app == [unknown] and result.cancelled_at_shop == 1
    assert held(shop) == [str(confirmed.idempotency_key)]  # only what we stand behind
    again = reconcile_with_shop(client=shop_client, now=timezone.now() + timedelta(minutes=5))
    assert again.unknown_to_app == [] and again.not_stood_behind == []


def test_the_reconcile_command_prints_what_it_did(menu, shop, capsys):
    place_at_shop(shop, str(uuid.uuid4()))
    call_command("reconcile", "--grace", "0")
    out = capsys.readouterr().out
    assert "1 unknown to the app" in out and "cancelled at the shop 1" in out
    assert held(shop) == []

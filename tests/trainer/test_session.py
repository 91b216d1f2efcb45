""""Start a new session" on the trainer page: the figures, the diagram's counts and the shop's counters start
at zero for the next demonstration; no order is deleted, and an order still on its way stays counted."""

import uuid

import pytest
from django.utils import timezone

from orders.models import Order
from trainer.models import TrainingSession
from trainer.stats import dashboard
from workflow.attempt import shop_payload
from workflow.snapshot import process_snapshot

from ..factories import make_order

pytestmark = pytest.mark.django_db


def confirmed_order(menu):
    order = make_order(menu)
    now = timezone.now()
    order.begin_attempt(now=now)
    order.confirm(shop_order_id=f"SHOP-{uuid.uuid4().hex[:6]}", now=now)
    return order


def async_figures():
    return next(figures for figures in dashboard()["modes"] if figures.mode == "async")


def test_a_new_session_starts_the_counters_at_zero_and_keeps_the_orders(admin_client, menu, shop, shop_client):
    confirmed_order(menu)
    on_its_way = make_order(menu, pizza="funghi")
    on_its_way.begin_attempt(now=timezone.now())
    shop_client.place_order(shop_payload(on_its_way), idempotency_key=str(uuid.uuid4()))
    assert async_figures().counts["confirmed"] == 1
    assert dashboard()["shop"]["calls"] >= 1

    response = admin_client.post("/trainer/session/")
    assert response.status_code == 302
    page = admin_client.get("/trainer/").content.decode()
    assert "New session: the counters start at zero (no order was deleted)." in page

    figures = async_figures()
    assert figures.counts["confirmed"] == 0 and figures.counts["sending"] == 1  # still on its way: counted
    assert dashboard()["shop"]["calls"] == 0 and dashboard()["shop"]["ledger_size"] == 0
    steps = process_snapshot(since=TrainingSession.load().started_at).steps
    assert steps["done"] == steps["mail"] == 0 and steps["store"] == 1
    assert Order.objects.count() == 2

    confirmed_order(menu)
    assert async_figures().counts["confirmed"] == 1
    drawn = admin_client.get("/trainer/diagram/").content.decode()  # its mail is still due: the mail step
    assert 'data-step="mail" data-count="1"' in drawn and 'data-step="done" data-count="0"' in drawn


def test_a_new_session_is_staff_only(client):
    response = client.post("/trainer/session/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

"""The order's state machine: legal moves happen, illegal ones are refused and change nothing."""

import pytest
from django.utils import timezone

from orders.models import ConcurrentTransition, IllegalTransition, Order, OrderStatus

from ..factories import make_order

pytestmark = pytest.mark.django_db


def test_the_happy_path(menu):
    order = make_order(menu)
    now = timezone.now()
    assert order.begin_attempt(now=now) == 1
    order.confirm(shop_order_id="SHOP-1", now=now)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.shop_order_id == "SHOP-1"
    assert order.first_sent_at == now and order.confirmed_at == now


def test_retries_count_against_the_budget(menu):
    order = make_order(menu, attempt_limit=2)
    now = timezone.now()
    order.begin_attempt(now=now)
    order.wait_for_retry(at=now)
    assert order.begin_attempt(now=now) == 2
    order.wait_for_retry(at=now)
    with pytest.raises(IllegalTransition):
        order.begin_attempt(now=now)
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_RETRY and order.attempts_made == 2


def test_a_confirmed_order_is_never_failed_afterwards(menu):
    order = make_order(menu)
    now = timezone.now()
    order.begin_attempt(now=now)
    order.confirm(shop_order_id="SHOP-1", now=now)
    for move in (
        lambda: order.fail(reason="late error", now=now),
        lambda: order.begin_attempt(now=now),
        lambda: order.wait_for_retry(at=now),
        lambda: order.reopen(extra_attempts=3),
    ):
        with pytest.raises(IllegalTransition):
            move()
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.failure_reason == ""


def test_an_order_cannot_be_confirmed_without_an_attempt(menu):
    order = make_order(menu)
    with pytest.raises(IllegalTransition):
        order.confirm(shop_order_id="SHOP-1", now=timezone.now())
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RECEIVED


def test_a_failed_order_can_be_reopened_with_a_fresh_budget(menu):
    order = make_order(menu, attempt_limit=1)
    now = timezone.now()
    order.begin_attempt(now=now)
    order.fail(reason="shop down", now=now)
    order.reopen(extra_attempts=3)
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED
    assert order.attempts_left == 3 and order.failure_reason == "" and order.failed_at is None


def test_a_stale_copy_loses_the_race(menu):
    order = make_order(menu)
    other_copy = Order.objects.get(pk=order.pk)
    now = timezone.now()
    order.begin_attempt(now=now)
    with pytest.raises(ConcurrentTransition):
        other_copy.begin_attempt(now=now)
    assert Order.objects.get(pk=order.pk).attempts_made == 1

"""The status page is honest while the shop is not answering: it says until when we keep trying, from the
order's remaining attempts and the policy's delays."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.timezone import localtime

from orders.models import OrderStatus
from workflow.retry_policy import RetryPolicy
from workflow.attempt import store_order

from ..factories import make_order

pytestmark = pytest.mark.django_db


def test_the_promise_adds_up_the_waits_of_the_attempts_left():
    policy = RetryPolicy(max_attempts=13, base_delay_s=1, max_delay_s=60, jitter=0)

    class Order:
        attempts_made, attempt_limit = 1, 13

    start = timezone.now()
    # After attempt 1 the next is at `start`; then waits 2, 4, 8, 16, 32, 60, 60, 60, 60, 60 s before attempts 3..13.
    assert policy.retrying_until(Order, next_at=start) == start + timedelta(seconds=2 + 4 + 8 + 16 + 32 + 60 * 6)


def test_while_the_shop_is_down_the_page_says_until_when_we_keep_trying(client, menu, shop, shop_client):
    shop.configure(down=True)
    policy = RetryPolicy(max_attempts=4, base_delay_s=60, max_delay_s=600, jitter=0)
    order = make_order(menu, attempt_limit=4)
    store_order(order.pk, client=shop_client, policy=policy)
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_RETRY
    # Next attempt in 60 s, then 120 s and 240 s before the last two: the last at next + 360 s.
    expected = order.next_attempt_at + timedelta(seconds=120 + 240)
    assert order.retrying_until == expected
    page = client.get(order.get_absolute_url()).content.decode()
    assert f"The shop is not answering; we keep trying until <time datetime=\"{localtime(expected).isoformat()}\">{localtime(expected):%H:%M}</time>." in page
    assert "Attempt 1 of 4 did not get through; next try in" in page

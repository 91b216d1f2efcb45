"""The execution table is recorded as the order moves, one row per transaction."""

import pytest
from django.utils import timezone

from workflow.mail import send_status_email
from orders.models import Order
from workflow.start import place_order
from workflow.models import EventKind
from workflow.retry_policy import RetryPolicy
from workflow.attempt import store_order

pytestmark = pytest.mark.django_db
POLICY = RetryPolicy(max_attempts=3, base_delay_s=5, max_delay_s=60, jitter=0)


def test_an_async_order_with_one_retry_tells_its_story(menu, shop, shop_client, client, smtp):
    order = place_order(pizza=menu["hawaii"], size="large", quantity=1, name="Eve", email="eve@example.com",
                        address="1 Story Street", mode="async").order
    shop.configure(failure_rate=1.0)
    store_order(order.pk, client=shop_client, policy=POLICY)
    shop.configure(failure_rate=0.0)
    Order.objects.filter(pk=order.pk).update(next_attempt_at=timezone.now())
    store_order(order.pk, client=shop_client, policy=POLICY)
    send_status_email(order.pk, "confirmed")

    events = list(order.events.all())
    assert [event.kind for event in events] == [
        EventKind.PLACED, EventKind.ATTEMPT_STARTED, EventKind.ATTEMPT_FAILED,
        EventKind.ATTEMPT_STARTED, EventKind.CONFIRMED, EventKind.EMAIL_SENT,
    ]
    assert "order ('received') and its store-order job" in events[0].database_holds
    assert "503" in events[2].engine_did and "next try in 5.0 s" in events[2].customer_saw
    assert events[4].duration_ms is not None
    assert [event.at for event in events] == sorted(event.at for event in events)

    page = client.get(order.get_absolute_url()).content.decode()
    assert "How this worked: asynchronous" in page
    assert page.count('class="event event--') == 6


def test_a_failed_transaction_leaves_no_row(menu, shop, shop_client):
    order = place_order(pizza=menu["hawaii"], size="large", quantity=1, name="Eve", email="eve@example.com",
                        address="1 Story Street", mode="async").order
    shop.configure(down=True)
    Order.objects.filter(pk=order.pk).update(attempt_limit=1)
    store_order(order.pk, client=shop_client, policy=POLICY)
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds == [EventKind.PLACED, EventKind.ATTEMPT_STARTED, EventKind.FAILED]

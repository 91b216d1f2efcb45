"""The shop's callback mode, end to end: the shop acknowledges at once and calls back later, signed; the
app's webhook (served by live_server, behind a relay that can be taken down) completes the orders."""

import pytest

from orders.models import Order, OrderStatus
from workflow.models import AttemptOutcome, EventKind, WebhookDelivery

from ..factories import ORDER_FORM
from ..support.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def place(client, n) -> Order:
    response = client.post("/", {**ORDER_FORM, "email": f"callback{n}@example.com"})
    assert response.status_code == 303
    return Order.objects.get(public_id=response["Location"].rstrip("/").rsplit("/", 1)[1])


def test_orders_wait_for_the_callback_and_survive_the_webhook_being_down(cluster, client, shop, smtp, live_server, webhook_relay):
    webhook_relay.target = live_server.url
    webhook_relay.down = True
    shop.configure(mode="callback", latency_s=1)
    orders = [place(client, n) for n in range(5)]

    # Acknowledged at once; the workers are free; the orders wait.
    wait_until(
        lambda: Order.objects.filter(pk__in=[o.pk for o in orders], status=OrderStatus.AWAITING_CALLBACK).count() == 5,
        timeout=30, message="five acknowledged orders",
    )
    wait_until(lambda: webhook_relay.refused >= 5, timeout=30, message="the shop to hit the webhook while it is down")
    assert not Order.objects.filter(pk__in=[o.pk for o in orders], status=OrderStatus.CONFIRMED).exists()

    webhook_relay.down = False
    wait_until(
        lambda: Order.objects.filter(pk__in=[o.pk for o in orders], status=OrderStatus.CONFIRMED).count() == 5,
        timeout=60, message="the shop's retried callbacks to confirm all five",
    )
    ledger = {entry["idempotency_key"]: entry for entry in shop.ledger()}
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
        assert ledger[str(order.idempotency_key)]["shop_order_id"] == order.shop_order_id
        assert [a.outcome for a in order.attempts.all()] == [AttemptOutcome.ACKNOWLEDGED]
        assert order.events.filter(kind=EventKind.CALLBACK_RECEIVED).count() == 1
    assert len(ledger) == 5 and shop.stats()["duplicate_references"] == 0
    assert WebhookDelivery.objects.count() == 5
    wait_until(lambda: len(smtp.messages) >= 5, timeout=30, message="five confirmation mails")

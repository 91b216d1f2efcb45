"""`manage.py scenario shop-cancels` in the real cluster: six made-up customers order, the shop (callback
mode) accepts every order and then cancels some of them; each cancellation reaches the app as the shop's
signed event through the real webhook, and each such customer gets exactly one more mail."""

import pytest
from django.core.management import call_command

from orders.models import BY_SHOP, Order, OrderStatus

from ..support.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
CUSTOMERS = 6


def test_the_shop_cancels_scenario_shows_the_shop_changing_its_mind(cluster, shop, smtp, live_server, webhook_relay):
    webhook_relay.target = live_server.url
    shop.configure(seed=1)  # random.Random(1): 4 of its first 6 draws are below 0.5
    call_command("scenario", "shop-cancels")
    assert shop.settings()["shop_cancel_rate"] == 0.5

    def settled():
        orders = list(Order.objects.all())
        return len(orders) == CUSTOMERS and all(o.status in (OrderStatus.CONFIRMED, OrderStatus.CANCELLED) for o in orders)

    wait_until(settled, timeout=60, message="six orders confirmed or cancelled")
    # The shop changes its mind 5 s after each acceptance (shop_cancel_after_s).
    def cancelled_by_the_shop():
        keys = {entry["idempotency_key"] for entry in shop.ledger() if entry["cancelled_by"] == "shop"}
        return keys if len(keys) == 4 else None

    by_the_shop = wait_until(cancelled_by_the_shop, timeout=30, message="the shop to cancel four of the six")
    wait_until(lambda: Order.objects.filter(status=OrderStatus.CANCELLED).count() == 4,
               timeout=30, message="the app to hear of every cancellation")
    cancelled = Order.objects.filter(status=OrderStatus.CANCELLED)
    assert {str(o.idempotency_key) for o in cancelled} == by_the_shop
    assert all(o.cancel_requested_by == BY_SHOP and o.cancel_reason == "the shop cancelled it: out of dough" for o in cancelled)
    assert all(o.events.filter(kind="cancelled_by_shop").count() == 1 for o in cancelled)

    wait_until(lambda: len(smtp.messages) >= CUSTOMERS + 4, timeout=30, message="the confirmations and the shop's notices")
    subjects = sorted(m["Subject"].split(" (")[0] for m in smtp.messages)
    assert subjects.count("Your pizza order is confirmed") == CUSTOMERS
    assert subjects.count("The shop cancelled your pizza order") == 4 and len(subjects) == CUSTOMERS + 4
    for order in cancelled:
        assert len(smtp.messages_to(order.customer_email)) == 2  # the confirmation, then exactly one notice
    call_command("scenario", "happy")
    assert shop.settings()["shop_cancel_rate"] == 0.0

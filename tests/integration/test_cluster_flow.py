"""The whole flow through a real django-q2 cluster, the real shop simulator and a real SMTP server.

Orders are placed through the order form (Django's test client, in this process); the cluster's workers,
in their own processes, send them to the shop over loopback HTTP and mail the customers.
"""

import pytest

from orders.models import Order, OrderStatus
from workflow.models import AttemptOutcome

from ..factories import ORDER_FORM
from ..support.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def order_through_the_form(client, **fields) -> Order:
    response = client.post("/", {**ORDER_FORM, **fields})
    assert response.status_code == 303, response.content.decode()[:500]
    return Order.objects.get(public_id=response["Location"].rstrip("/").rsplit("/", 1)[1])


def wait_for_final(orders, timeout):
    pks = [order.pk for order in orders]
    wait_until(
        lambda: not Order.objects.filter(pk__in=pks).open().exists(),
        timeout=timeout,
        message=f"{len(pks)} order(s) to reach a final status",
    )
    return list(Order.objects.filter(pk__in=pks).order_by("pk"))


def assert_each_order_placed_once(shop, orders):
    ledger = {entry["idempotency_key"]: entry for entry in shop.ledger()}
    assert sorted(ledger) == sorted(str(order.idempotency_key) for order in orders)
    for order in orders:
        assert ledger[str(order.idempotency_key)]["shop_order_id"] == order.shop_order_id
    assert shop.stats()["duplicate_references"] == 0
    return ledger


def test_a_flaky_shop_confirms_every_order_once_and_mails_each_customer_once(cluster, client, shop, smtp):
    shop.configure(failure_rate=0.3, seed=2026)
    orders = [order_through_the_form(client, email=f"customer{i}@example.com") for i in range(20)]
    orders = wait_for_final(orders, timeout=120)

    assert [order.status for order in orders] == [OrderStatus.CONFIRMED] * 20
    assert_each_order_placed_once(shop, orders)
    outcomes = [attempt.outcome for order in orders for attempt in order.attempts.all()]
    assert AttemptOutcome.TRANSIENT_ERROR in outcomes  # the shop did fail, and nobody noticed
    wait_until(lambda: len(smtp.messages) >= 20, timeout=30, message="20 confirmation mails")
    for i in range(20):
        [mail] = smtp.messages_to(f"customer{i}@example.com")
        assert "confirmed" in mail["Subject"]


def test_a_slow_shop_does_not_slow_the_form(cluster, client, shop):
    shop.configure(latency_s=2)
    order = order_through_the_form(client)
    # The customer has the answer, and the shop has not even seen the order yet.
    assert Order.objects.get(pk=order.pk).status in {OrderStatus.RECEIVED, OrderStatus.SENDING}
    assert shop.ledger() == []

    [order] = wait_for_final([order], timeout=30)
    assert order.status == OrderStatus.CONFIRMED
    [attempt] = order.attempts.all()
    assert attempt.duration_ms >= 2000


def test_an_order_waits_out_a_shop_outage_and_goes_through_when_it_is_back(cluster, client, shop):
    shop.configure(down=True)
    order = order_through_the_form(client)
    wait_until(
        lambda: Order.objects.filter(pk=order.pk, attempts_made__gte=2, status=OrderStatus.WAITING_RETRY).exists(),
        timeout=30,
        message="two failed attempts",
    )
    shop.configure(down=False)
    [order] = wait_for_final([order], timeout=30)
    assert order.status == OrderStatus.CONFIRMED
    ledger = assert_each_order_placed_once(shop, [order])
    assert ledger[str(order.idempotency_key)]["received"] == 1


def test_a_shop_down_for_good_fails_the_order_and_tells_the_customer(cluster, client, shop, smtp, settings):
    shop.configure(down=True)
    order = order_through_the_form(client, email="unlucky@example.com")
    [order] = wait_for_final([order], timeout=60)

    assert order.status == OrderStatus.FAILED
    assert order.attempts_made == settings.STORE_ORDER_MAX_ATTEMPTS
    assert shop.ledger() == []
    [mail] = wait_until(lambda: smtp.messages_to("unlucky@example.com"), timeout=30, message="the failure mail")
    assert "could not place" in mail["Subject"]
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-order-status="failed"' in page and "We could not place your order" in page


def test_lost_answers_never_place_an_order_twice(cluster, client, shop):
    shop.configure(lost_response_rate=0.5, seed=7)
    orders = [order_through_the_form(client, email=f"lost{i}@example.com") for i in range(10)]
    orders = wait_for_final(orders, timeout=120)

    assert [order.status for order in orders] == [OrderStatus.CONFIRMED] * 10
    ledger = assert_each_order_placed_once(shop, orders)
    assert any(entry["received"] > 1 for entry in ledger.values())  # repeats happened, and were absorbed


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_an_attempt_loses_nothing(cluster, client, shop, settings):
    shop.configure(latency_s=2.5)
    wait_until(cluster.idle, timeout=30, message="the cluster done with the earlier tests' jobs")
    order = order_through_the_form(client)
    # In the middle: the attempt claimed and its call out, the worker waiting for the shop's answer. Killed as
    # soon as the order reads `sending`, the worker had not always sent the call: the shop then had nothing
    # to repeat, and received it once.
    wait_until(
        lambda: Order.objects.filter(pk=order.pk, status=OrderStatus.SENDING).exists()
        and cluster.processes().awaiting_an_answer(),
        timeout=20,
        message="the attempt's call to the shop",
    )
    cluster.kill_hard()  # as an OOM kill would: no clean-up, the task is never acknowledged
    cluster.start()

    # django-q2 hands the unacknowledged task out again after `retry` seconds.
    [order] = wait_for_final([order], timeout=settings.Q_TASK_RETRY_S + 30)
    assert order.status == OrderStatus.CONFIRMED
    assert [a.outcome for a in order.attempts.all()] == [AttemptOutcome.INTERRUPTED, AttemptOutcome.ACCEPTED]
    ledger = assert_each_order_placed_once(shop, [order])
    assert ledger[str(order.idempotency_key)]["received"] == 2  # the lost call and its harmless repeat

"""The edges through a real django-q2 cluster, the real shop simulator and a real SMTP server: a short
outage outlived, cancellations compensated by the workers, and an undeliverable mail made visible.

The cluster's policy is the test suite's (tests/settings.py): 6 attempts, backoff 0.2 s doubling, capped at
2 s: a retry window of at least 4 s (jitter included), against an outage of 3 s.
"""

import re

import pytest
from django.utils import timezone

from orders.models import MailStatus, Order, OrderStatus
from workflow.cancellation import request_cancellation

from ..factories import ORDER_FORM
from ..support.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
PROMISE = re.compile(r"The shop is not answering; we keep trying until <time datetime=\"[^\"]+\">(\d\d:\d\d)</time>")


def order_through_the_form(client, **fields) -> Order:
    response = client.post("/", {**ORDER_FORM, **fields})
    assert response.status_code == 303, response.content.decode()[:500]
    return Order.objects.get(public_id=response["Location"].rstrip("/").rsplit("/", 1)[1])


def wait_for(pks, statuses, timeout):
    wait_until(lambda: set(Order.objects.filter(pk__in=pks).values_list("status", flat=True)) <= set(statuses),
               timeout=timeout, message=f"orders {pks} to be {statuses}")
    return list(Order.objects.filter(pk__in=pks).order_by("pk"))


def warm_up(client):
    """One order through first: the workers are polling before the shop's fault starts its clock."""
    order = order_through_the_form(client, email="warm-up@example.com")
    wait_for([order.pk], {OrderStatus.CONFIRMED}, timeout=60)
    return order


def test_every_order_placed_during_a_short_outage_ends_confirmed(cluster, client, shop, smtp):
    warm_up(client)
    shop.configure(down_for_s=3)
    orders = [order_through_the_form(client, email=f"outage{i}@example.com") for i in range(8)]
    # While the shop is down, the status page says so, and until when we keep trying.
    waiting = wait_until(lambda: Order.objects.filter(status=OrderStatus.WAITING_RETRY).first(), timeout=10,
                         message="an order waiting to retry")
    page = client.get(waiting.get_absolute_url()).content.decode()
    assert PROMISE.search(page), page[page.find('id="progress"'):][:1500]
    orders = wait_for([o.pk for o in orders], {OrderStatus.CONFIRMED, OrderStatus.FAILED}, timeout=60)
    assert [o.status for o in orders] == [OrderStatus.CONFIRMED] * 8
    assert max(o.attempts_made for o in orders) > 1  # the outage was felt, and outlived
    ledger = {e["idempotency_key"] for e in shop.ledger()}
    assert {str(o.idempotency_key) for o in orders} <= ledger and len(ledger) == 9  # and the warm-up's
    wait_until(lambda: len(smtp.messages) >= 9, timeout=30, message="9 confirmation mails")


def test_the_workers_cancel_a_confirmed_order_at_the_shop_and_mail_the_customer(cluster, client, shop, smtp):
    shop.configure(cancel_window_s=300)
    order = order_through_the_form(client, email="cancel-me@example.com")
    wait_for([order.pk], {OrderStatus.CONFIRMED}, timeout=30)
    response = client.post(f"/orders/{order.public_id}/cancel/")
    assert response.status_code == 303
    [order] = wait_for([order.pk], {OrderStatus.CANCELLED}, timeout=30)
    [entry] = shop.ledger()
    assert entry["status"] == "cancelled"
    wait_until(lambda: any("cancelled" in m["Subject"] for m in smtp.messages_to("cancel-me@example.com")),
               timeout=30, message="the cancellation mail")


def test_the_workers_tell_the_customer_when_it_is_too_late(cluster, client, shop, smtp):
    shop.configure(cancel_window_s=0)
    order = order_through_the_form(client, email="hungry@example.com")
    wait_for([order.pk], {OrderStatus.CONFIRMED}, timeout=30)
    client.post(f"/orders/{order.public_id}/cancel/")
    wait_until(lambda: Order.objects.get(pk=order.pk).cancel_refused_reason, timeout=30, message="the shop's refusal")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert shop.ledger()[0]["status"] == "accepted"
    wait_until(lambda: any("Too late" in m["Subject"] for m in smtp.messages_to("hungry@example.com")),
               timeout=30, message="the too-late mail")


def test_a_cancellation_during_an_outage_sends_nothing_to_the_shop(cluster, client, shop):
    warm_up(client)
    shop.reset()
    shop.configure(down_for_s=2)
    order = order_through_the_form(client)
    wait_for([order.pk], {OrderStatus.WAITING_RETRY}, timeout=10)
    assert request_cancellation(order.pk, by="customer").status == OrderStatus.CANCELLED
    wait_until(lambda: timezone.now() > Order.objects.get(pk=order.pk).cancelled_at + timezone.timedelta(seconds=5),
               timeout=10, message="the outage to end and the scheduled retry to come due")
    assert shop.ledger() == []
    assert Order.objects.get(pk=order.pk).attempts_made == 1


def test_a_mail_refused_for_good_is_undeliverable_on_the_status_page(cluster, client, shop, smtp):
    smtp.refuse("nobody@example.com", "550 5.1.1 no such mailbox")
    order = order_through_the_form(client, email="nobody@example.com")
    wait_until(lambda: Order.objects.get(pk=order.pk).mail_status == MailStatus.UNDELIVERABLE, timeout=30,
               message="the mail to be marked undeliverable")
    page = client.get(order.get_absolute_url()).content.decode()
    assert "We could not email you at nobody@example.com" in page and "550" in page


def test_a_mail_refused_for_now_goes_once_the_server_takes_it(cluster, client, shop, smtp):
    smtp.refuse("later@example.com", "451 4.3.0 try again later")
    order = order_through_the_form(client, email="later@example.com")
    wait_until(lambda: Order.objects.get(pk=order.pk).mail_status == MailStatus.RETRYING, timeout=30,
               message="the mail to be retried")
    smtp.accept("later@example.com")
    wait_until(lambda: Order.objects.get(pk=order.pk).mail_status == MailStatus.SENT, timeout=30,
               message="the mail to go on a later try")
    assert len(smtp.messages_to("later@example.com")) == 1

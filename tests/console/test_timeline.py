"""The order's timeline on its admin page: an SVG drawn on the server, with a text alternative."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from console.timeline import timeline_items
from workflow.models import AttemptOutcome

from ..factories import make_order

pytestmark = pytest.mark.django_db


def retried_then_confirmed(menu):
    """Received; attempt 1 fails after 200 ms; 2 s backoff, picked up 300 ms late; attempt 2 confirms; mailed."""
    t0 = timezone.now() - timedelta(seconds=30)
    order = make_order(menu, attempt_limit=3, created_at=t0)
    order.begin_attempt(now=t0)
    order.attempts.create(number=1, due_at=t0, started_at=t0, finished_at=t0 + timedelta(milliseconds=200),
                          outcome=AttemptOutcome.TRANSIENT_ERROR, http_status=503, error="the shop answered 503")
    order.wait_for_retry(at=t0 + timedelta(seconds=2.2))
    order.begin_attempt(now=t0 + timedelta(seconds=2.5))
    order.attempts.create(number=2, due_at=t0 + timedelta(seconds=2.2), started_at=t0 + timedelta(seconds=2.5),
                          finished_at=t0 + timedelta(seconds=2.6), outcome=AttemptOutcome.ACCEPTED, http_status=201)
    order.confirm(shop_order_id="SHOP-9", now=t0 + timedelta(seconds=2.6))
    order.confirmation_email_sent_at = t0 + timedelta(seconds=3)
    order.save(update_fields=["confirmation_email_sent_at"])
    return order


def test_each_attempt_its_wait_the_final_status_and_the_mail(menu):
    items = [(item.label, item.text) for item in timeline_items(retried_then_confirmed(menu))]
    labels = [label for label, _ in items]
    assert labels == [
        "Received", "Attempt 1: Transient error", "Wait before attempt 2", "Attempt 2: Accepted by the shop",
        "Confirmed", "Mail sent",
    ]
    texts = dict(items)
    assert texts["Wait before attempt 2"] == (
        "Waited 2.3 s before attempt 2: 2.0 s until it was due, 300 ms for the scheduler and a free worker."
    )
    assert texts["Attempt 1: Transient error"].startswith("Attempt 1 took 200 ms: Transient error, HTTP 503.")
    assert "2.6 s after it was received" in texts["Confirmed"]


def test_an_acknowledged_attempt_shows_the_wait_for_the_callback(menu):
    t0 = timezone.now() - timedelta(seconds=5)
    order = make_order(menu, created_at=t0)
    order.begin_attempt(now=t0)
    order.attempts.create(number=1, due_at=t0, started_at=t0, finished_at=t0 + timedelta(milliseconds=100),
                          outcome=AttemptOutcome.ACKNOWLEDGED, http_status=202)
    order.await_callback(until=t0 + timedelta(seconds=60))
    [wait] = [item for item in timeline_items(order) if item.kind == "callback"]
    assert wait.text.endswith("(still waiting).") and 4 < wait.seconds < 6


def test_the_order_page_draws_it_accessibly(admin_client, menu):
    order = retried_then_confirmed(menu)
    page = admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    svg = re.search(r"<svg class=\"console-timeline\".*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="timeline-title timeline-desc"' in svg
    assert f"<title id=\"timeline-title\">Timeline of order {order.short_id}: Confirmed</title>" in svg
    assert svg.count("<rect") == 3 and svg.count("<circle") == 3  # two attempts and a wait; three moments
    assert "The timeline as text" in page and "Waited 2.3 s before attempt 2" in page
    # It stands above the attempts and the execution table.
    assert page.index('id="order-timeline"') < page.index("How this worked (execution table)")


def test_a_cancelled_order_shows_its_cancellation_and_the_cancellation_mail(menu):
    # Found on main: the timeline read 2 of the 4 mails' fields and only confirmed_at/failed_at, so a cancelled
    # order had no "Cancelled" mark and said "Mail not sent yet" after the cancellation mail went.
    t0 = timezone.now() - timedelta(seconds=10)
    order = make_order(menu, created_at=t0)
    order.cancel_at_once(by="customer", now=t0 + timedelta(seconds=1))
    labels = [item.label for item in timeline_items(order)]
    assert labels == ["Received", "Cancelled", "Mail not sent yet"]

    order.cancellation_email_sent_at = t0 + timedelta(seconds=2)
    order.save(update_fields=["cancellation_email_sent_at"])
    items = {item.label: item.text for item in timeline_items(order)}
    assert list(items) == ["Received", "Cancelled", "Mail sent"]
    assert "1.0 s after it was received" in items["Cancelled"] and "cancellation mail" in items["Mail sent"]


def test_an_order_confirmed_then_cancelled_shows_both_mails(menu):
    t0 = timezone.now() - timedelta(seconds=10)
    order = make_order(menu, created_at=t0)
    order.begin_attempt(now=t0)
    order.confirm(shop_order_id="SHOP-1", now=t0 + timedelta(seconds=1))
    order.begin_cancelling(by="admin", now=t0 + timedelta(seconds=3))
    order.cancelled_at_shop(now=t0 + timedelta(seconds=4))
    order.confirmation_email_sent_at, order.cancellation_email_sent_at = t0 + timedelta(seconds=2), t0 + timedelta(seconds=5)
    order.save(update_fields=["confirmation_email_sent_at", "cancellation_email_sent_at"])
    labels = [item.label for item in timeline_items(order)]
    assert labels == ["Received", "Confirmation mail sent", "Cancelled", "Cancellation mail sent"]


def test_an_undeliverable_mail_is_said_so_rather_than_not_sent_yet(menu):
    order = make_order(menu, status="failed", failed_at=timezone.now(), mail_kind="failed", mail_status="undeliverable",
                       mail_error="550 no such mailbox")
    labels = {item.label: item.text for item in timeline_items(order)}
    assert "Mail not sent yet" not in labels and "550 no such mailbox" in labels["Mail undeliverable"]

"""The live process diagram: what each step counts, the queue, the workers, the customer's own position,
and that the diagram, the dashboard and the execution table tell the same story."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order, OrderStatus, StoreMode
from trainer import stats
from workflow.attempt import schedule_store_order
from workflow.models import set_store_mode
from workflow.snapshot import STEP_OF_STATUS, step_after_event, step_counts, step_of
from workflow.start import place_order
from workflow.attempt import claim_attempt, store_order

from ..factories import make_order
from ..support.queue_health import heartbeat, probe_back

pytestmark = pytest.mark.django_db

STEP = re.compile(r'data-step="([a-z]+)" data-count="(\d+)"')


def steps(html: str) -> dict[str, int]:
    return {name: int(count) for name, count in STEP.findall(html)}


def new_order(menu, **fields) -> Order:
    return place_order(pizza=menu["margherita"], size="small", quantity=1, name="Ada", email="ada@example.com",
                       address="1 Analytical St", **fields).order


def test_the_diagram_is_for_staff_only(client, django_user_model):
    assert "/admin/login/" in client.get("/trainer/diagram/")["Location"]
    client.force_login(django_user_model.objects.create_user("cust", password="a-long-password-1"))
    assert "/admin/login/" in client.get("/trainer/diagram/")["Location"]


def test_each_step_counts_the_orders_there_now(admin_client, menu):
    for status, n in [(OrderStatus.RECEIVED, 3), (OrderStatus.SENDING, 1), (OrderStatus.WAITING_RETRY, 2),
                      (OrderStatus.AWAITING_CALLBACK, 1)]:
        for _ in range(n):
            make_order(menu, status=status)
    make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=timezone.now())  # its mail not sent yet
    make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=timezone.now(), confirmation_email_sent_at=timezone.now())
    make_order(menu, status=OrderStatus.FAILED, failed_at=timezone.now(), failure_email_sent_at=timezone.now())
    page = admin_client.get("/trainer/diagram/").content.decode()
    assert steps(page) == {"form": 0, "wait": 3, "store": 1, "retry": 2, "callback": 1, "mail": 1, "done": 2}
    assert 'role="img"' in page and "<title id=\"diagram-title\">" in page and "<desc" in page
    assert "The diagram as a table" in page  # the text alternative


def test_an_order_stands_where_the_counts_put_it_after_a_cancellation_or_a_refusal(menu):
    # Found on main: step_of read only the confirmation and failure mails, so a cancelled order stood on
    # "done" before its mail went and a too-late order stood on "mail" for ever, while the counts said otherwise.
    now = timezone.now()
    cancelled = make_order(menu, status=OrderStatus.CANCELLED, cancelled_at=now)
    too_late = make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=now, cancel_refused_reason="in the oven",
                          too_late_email_sent_at=now)
    undeliverable = make_order(menu, status=OrderStatus.FAILED, failed_at=now, mail_kind="failed",
                               mail_status="undeliverable")
    assert [step_of(order) for order in (cancelled, too_late, undeliverable)] == ["mail", "done", "done"]
    counts = step_counts()
    assert counts["mail"] == 1 and counts["done"] == 2

    Order.objects.filter(pk=cancelled.pk).update(cancellation_email_sent_at=now)
    cancelled.refresh_from_db()
    assert step_of(cancelled) == "done"


def test_the_queue_shows_waiting_jobs_and_scheduled_retries_with_their_due_times(admin_client, menu):
    for _ in range(3):
        new_order(menu)  # each commits a store-order job with it
    retrying = make_order(menu, status=OrderStatus.WAITING_RETRY)
    schedule_store_order(retrying, at=timezone.now() + timedelta(seconds=42))
    page = admin_client.get("/trainer/diagram/").content.decode()
    assert 'data-waiting="3"' in page and 'data-scheduled="1"' in page
    assert "Queue: 3 jobs waiting for a worker" in page
    assert re.search(r"retry \(store order [0-9a-f-]+ attempt 1\) due in 4[12] s", page)


def test_a_running_attempt_shows_on_a_worker_lane_and_the_others_are_idle(admin_client, menu, settings, monkeypatch):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 3}
    heartbeat(monkeypatch, workers=3)
    probe_back(1)
    order = make_order(menu)
    claim_attempt(order.pk)  # as a worker does before it calls the shop
    page = admin_client.get("/trainer/diagram/").content.decode()
    assert f'data-lane="1" data-order="{order.short_id}"' in page
    assert page.count("no attempt running") == 3 - 1
    assert "Workers: 1 of 3 running an attempt" in page and 'data-busy-workers="1"' in page


def test_in_sync_mode_the_store_step_is_drawn_inside_the_request(admin_client, menu):
    set_store_mode(StoreMode.SYNC)
    page = admin_client.get("/trainer/diagram/").content.decode()
    assert 'class="request-box"' in page and "one request, one transaction" in page
    set_store_mode(StoreMode.ASYNC)
    page = admin_client.get("/trainer/diagram/").content.decode()
    assert 'class="request-box"' not in page and "commit: the wait state" in page


def test_htmx_gets_the_drawing_alone(admin_client):
    partial = admin_client.get("/trainer/diagram/", headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith('<div class="diagram"') and "<html" not in partial


def test_the_trainer_page_embeds_the_diagram(admin_client):
    page = admin_client.get("/trainer/").content.decode()
    assert 'hx-get="/trainer/diagram/"' in page and 'data-step="store"' in page


def test_a_customer_sees_their_own_position_lit_and_no_other_orders(client, menu, answering_cluster):
    ahead = [new_order(menu) for _ in range(2)]
    mine = new_order(menu)
    running = make_order(menu)
    claim_attempt(running.pk)
    page = client.get(f"/orders/{mine.public_id}/diagram/").content.decode()
    assert 'data-lit="wait"' in page and "your order is here" in page
    assert re.search(r'<g class="step step--lit[^"]*" data-step="wait" data-count="3"', page)
    assert "2 orders ahead of yours" in page
    assert running.short_id not in page and all(order.short_id not in page for order in ahead)
    assert "another order, attempt 1" in page


def test_an_unknown_order_has_no_diagram(client):
    assert client.get(f"/orders/{uuid.uuid4()}/diagram/").status_code == 404


def test_the_order_diagram_stops_polling_once_the_order_is_done(client, menu):
    done = make_order(menu, status=OrderStatus.CONFIRMED, confirmed_at=timezone.now(),
                      confirmation_email_sent_at=timezone.now())
    response = client.get(f"/orders/{done.public_id}/diagram/", headers={"HX-Request": "true"})
    assert response.status_code == 286 and 'data-lit="done"' in response.content.decode()


def test_the_diagram_the_dashboard_and_the_execution_table_agree(admin_client, menu, shop, shop_client):
    """Orders driven through the real step (a healthy shop, a failing one), then read three ways."""
    confirmed = new_order(menu)
    store_order(confirmed.pk, client=shop_client)
    shop.configure(failure_rate=1.0)
    retrying = new_order(menu)
    store_order(retrying.pk, client=shop_client)
    new_order(menu)  # still in the wait state
    shop.configure(failure_rate=0.0)
    new_order(menu, mode=StoreMode.SYNC)  # confirmed in its request

    diagram = steps(admin_client.get("/trainer/diagram/").content.decode())
    dashboard = stats.dashboard()
    by_status = {status: sum(m.counts[status] for m in dashboard["modes"]) for status in OrderStatus.values}
    for status, step in STEP_OF_STATUS.items():
        assert diagram[step] == by_status[status], step
    finals = by_status[OrderStatus.CONFIRMED] + by_status[OrderStatus.FAILED]
    assert diagram["mail"] + diagram["done"] == finals == 2
    # Each order's own diagram lights the step its execution table's last row leads to, and that step's
    # count includes it.
    for order in Order.objects.all():
        lit = re.search(r'data-lit="([a-z]+)"', client_page(admin_client, order)).group(1)
        last_event = order.events.order_by("at", "pk").last()
        assert lit == step_of(order) == step_after_event(last_event.kind), (order.status, last_event.kind)
        assert diagram[lit] >= 1


def client_page(client, order) -> str:
    return client.get(f"/orders/{order.public_id}/diagram/").content.decode()

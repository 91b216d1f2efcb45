"""The operations console in a real Chromium: staff read the engine's health on the admin index as the
cluster goes down, and from needs-attention retry failed orders in bulk after a confirmation page, then
read one order's timeline, and cancel a stuck order the same way. axe-core checks each of these pages."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from orders.models import Order as OrderRow
from orders.models import OrderStatus

from ..console.helpers import aged
from ..factories import make_order
from ..support.waiting import wait_until
from .axe import assert_accessible
from .pages import Order, OrderForm, StatusPage, log_in

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

STAFF_PASSWORD = "a-long-staff-password-2"


@pytest.fixture
def staff_user(transactional_db):
    return get_user_model().objects.create_superuser("ops", "ops@asyncpizza.example", STAFF_PASSWORD)


def open_the_console(page):
    page.goto("/admin/")
    log_in(page, username="ops", password=STAFF_PASSWORD)
    expect(page.get_by_role("heading", name="Engine health")).to_be_visible()


def test_the_health_panel_shows_the_cluster_up_then_down(staff_page, staff_user, cluster_stopped_for_a_while):
    cluster = cluster_stopped_for_a_while
    admin = staff_page
    open_the_console(admin)
    expect(admin).to_have_title("Operations | Async Pizza operations")
    expect(admin.get_by_role("link", name="Async Pizza operations")).to_be_visible()
    workers = settings.Q_CLUSTER["workers"]
    state = admin.locator("#engine-state")
    reload_until_the_queue_is(admin, "running", timeout_s=60)
    expect(state).to_have_text(re.compile(rf"^Running: the queue answers: .* {workers} workers alive in 1 cluster\."))
    clusters = admin.get_by_role("table", name="Clusters (django-q2's own status)")
    expect(clusters.locator('tr[data-cluster-alive="true"]')).to_have_count(1)
    expect(clusters.locator('tr[data-cluster-alive="true"]')).to_contain_text(re.compile(r"Idle|Working"))
    assert_accessible(admin)

    cluster.stop()
    admin.reload()
    expect(state).to_have_text(re.compile(r"^Stopped: no worker is alive"))
    expect(admin.locator("#health-panel")).to_have_attribute("data-workers-alive", "0")
    assert_accessible(admin)


def reload_until_the_queue_is(page, state: str, *, timeout_s: float) -> None:
    """Reload as a person would, once a second, until the health panel says `state` (the panel does not
    poll)."""
    panel = page.locator("#health-panel")

    def says_the_state() -> bool:
        if panel.get_attribute("data-queue-state") == state:
            return True
        page.reload()
        return False

    wait_until(says_the_state, timeout=timeout_s, interval=1, message=f"the health panel to say {state}")


def wait_for_a_redraw(page) -> None:
    """Until htmx has redrawn the live diagram once: it swaps in a new drawing, so a mark set on the one shown
    now is gone."""
    page.locator("#diagram > .diagram").evaluate("drawing => drawing.dataset.drawnBefore = 'yes'")
    expect(page.locator("#diagram > .diagram[data-drawn-before]")).to_have_count(0, timeout=15_000)


@pytest.mark.slow
def test_frozen_workers_read_stuck_on_the_panel_needs_attention_and_the_diagram(staff_page, staff_user, cluster, menu):
    admin = staff_page
    waiting = make_order(menu)
    open_the_console(admin)
    reload_until_the_queue_is(admin, "running", timeout_s=60)
    workers = settings.Q_CLUSTER["workers"]
    with cluster.workers_frozen():
        reload_until_the_queue_is(admin, "stuck", timeout_s=settings.QUEUE_PROBE_STALE_S + 60)
        expect(admin.locator("#engine-state")).to_have_text(re.compile(
            rf"^Stuck: the queue has not moved for \d+ s\. {workers} workers report alive, .*Restart the worker cluster"))
        expect(admin.locator("#health-panel")).to_have_attribute("data-workers-alive", str(workers))
        assert_accessible(admin)

        admin.get_by_role("link", name="Queue not moving: 1").click()
        section = admin.get_by_role("region", name="Queue not moving (1)")
        expect(section).to_contain_text("restart this cluster")
        assert_accessible(admin)

        admin.goto("/trainer/diagram/")
        lanes = admin.locator('#diagram [data-lane-state="stuck"]')
        expect(lanes).to_have_count(workers)
        expect(admin.locator("#diagram [data-workers-line]")).to_have_text(re.compile(r"^Workers: stuck \(the queue has not moved for"))
        wait_for_a_redraw(admin)
        expect(lanes).to_have_count(workers)  # redrawn by htmx: still stuck
        assert_accessible(admin)

        admin.goto(f"/orders/{waiting.public_id}/diagram/")  # what the customer sees meanwhile
        expect(admin.locator('#diagram [data-lane-state="stuck"]')).to_have_count(workers)
        expect(admin.locator('#diagram [data-lane-state="stuck"]').first).to_contain_text("orders are kept")
        assert_accessible(admin)

    admin.goto("/admin/")
    reload_until_the_queue_is(admin, "running", timeout_s=60)
    admin.goto("/trainer/diagram/")
    expect(admin.locator('#diagram [data-lane-state="stuck"]')).to_have_count(0)
    expect(admin.locator("#diagram [data-workers-line]")).to_have_text(f"Workers: 0 of {workers} running an attempt")


def test_needs_attention_retries_failed_orders_in_bulk(page, staff_page, staff_user, cluster, shop):
    shop.configure(down=True)
    status_urls = []
    for name, email in [("Ada Lovelace", "ada.bulk@example.com"), ("Alan Turing", "alan.bulk@example.com")]:
        OrderForm(page).open().place(Order(name=name, email=email))
        status_urls.append(page.url)
    refs = [url.rstrip("/").rsplit("/", 1)[1][:8] for url in status_urls]
    for url in status_urls:  # both use up their attempts at the same time
        page.goto(url)
        expect(StatusPage(page).in_status("failed")).to_be_visible(timeout=45_000)
    shop.configure(down=False)

    admin = staff_page
    open_the_console(admin)
    admin.get_by_role("link", name="Failed orders: 2").click()
    expect(admin).to_have_url(re.compile(r"/admin/needs-attention/#failed$"))
    failed = admin.locator('[data-section="failed"]')
    expect(failed.get_by_role("heading", name="Failed orders (2)")).to_be_visible()
    assert_accessible(admin)

    for ref in refs:
        failed.get_by_role("checkbox", name=f"Select {ref}").check()
    failed.get_by_role("button", name="Retry with a fresh budget of attempts…").click()
    expect(admin.get_by_role("heading", name="Retry with a fresh budget of attempts?")).to_be_visible()
    expect(admin.locator("#will-apply").get_by_role("listitem")).to_have_count(2)
    assert_accessible(admin)
    admin.get_by_role("button", name="Yes, retry with a fresh budget of attempts").click()
    expect(admin.get_by_text("Retrying 2 order(s).")).to_be_visible()

    # The retry reopens both orders at once: none is failed any more, although the worker has not run yet.
    expect(admin.locator('[data-section="failed"]')).to_have_attribute("data-count", "0")

    # What the customer then waits for: each order's own page turns to confirmed once the worker placed it.
    for url in status_urls:
        page.goto(url)
        expect(StatusPage(page).in_status("confirmed")).to_be_visible(timeout=45_000)

    admin.goto("/admin/orders/order/?status__exact=confirmed")
    admin.get_by_role("link", name=refs[0]).click()
    timeline = admin.locator("#order-timeline")
    expect(timeline.get_by_role("img", name=re.compile(rf"^Timeline of order {refs[0]}: Confirmed"))).to_be_visible()
    timeline.get_by_text("The timeline as text").click()
    expect(timeline.get_by_role("listitem").filter(has_text="Attempt 1 took")).to_be_visible()
    expect(timeline.get_by_role("listitem").filter(has_text=re.compile(r"^Confirmed at"))).to_be_visible()
    assert_accessible(admin)

    # Each attempt's own page: the error's type and the start of the shop's answer.
    admin.get_by_role("link", name="Attempt 1: traceback and answer").click()
    expect(admin.get_by_text("workflow.shop_client.ShopUnavailable", exact=True)).to_be_visible()
    expect(admin.locator("pre").filter(has_text="shop is down")).to_be_visible()
    assert_accessible(admin)


def test_needs_attention_cancels_a_stuck_order_after_a_confirmation_page(staff_page, staff_user, menu):
    # Received two minutes ago and never started (no workers): stuck, and the shop cannot hold it yet.
    stuck = aged(make_order(menu, customer_email="stuck.cancel@example.com"), updated_at=timedelta(minutes=2))
    admin = staff_page
    open_the_console(admin)
    admin.goto("/admin/needs-attention/#stuck")
    section = admin.locator('[data-section="stuck"]')
    section.get_by_role("checkbox", name=f"Select {stuck.short_id}").check()
    section.get_by_role("button", name="Cancel…").click()
    expect(admin.get_by_role("heading", name="Cancel?")).to_be_visible()
    expect(admin.locator("#will-apply")).to_contain_text("cancelled at once: the shop cannot hold it yet")
    assert_accessible(admin)
    admin.get_by_role("button", name="Yes, cancel").click()
    expect(admin.get_by_text("Cancelled 1 order(s), or asked the shop to cancel them.")).to_be_visible()
    assert OrderRow.objects.get(pk=stuck.pk).status == OrderStatus.CANCELLED
    expect(admin.locator('[data-section="stuck"]')).to_have_attribute("data-count", "0")
    assert_accessible(admin)

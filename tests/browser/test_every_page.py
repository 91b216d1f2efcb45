"""Every page at a laptop's 1280 px and a phone's 390 px, as the customer, the trainer and the operator open
them: axe-core finds no serious or critical problem, the page never scrolls sideways (a wide table scrolls
in a region of its own, which a keyboard can reach), and the trainer's first screen holds what a projector
must show. The orders are made in the database (no worker cluster): what is checked is how pages look."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import MailStatus, OrderStatus
from trainer.scenarios import SCENARIOS
from workflow.queue_probe import QueueState, QueueVerdict, probe_reading
from workflow.events import record_event
from workflow.models import EventKind

from ..factories import make_order
from .axe import assert_accessible
from .chromium import PHONE
from .pages import log_in

pytestmark = pytest.mark.browser

STAFF_PASSWORD = "a-long-staff-password-3"
SCREENS = {
    "1280": {"viewport": {"width": 1280, "height": 720}},
    "390": PHONE,
}
LOST = "the shop's answer was lost: RemoteDisconnected: Remote end closed connection without response"


@pytest.fixture
def orders(transactional_db, menu):
    """A confirmed order whose first answer was lost, a failed one, and one being sent right now."""
    now = timezone.now()
    confirmed = make_order(menu)
    confirmed.begin_attempt(now=now - timedelta(seconds=4))
    confirmed.attempts.create(number=1, due_at=now, started_at=now - timedelta(seconds=4), finished_at=now,
                              outcome="transient_error", error=LOST, error_type="http.client.RemoteDisconnected")
    confirmed.begin_attempt(now=now)
    confirmed.attempts.create(number=2, due_at=now, started_at=now, finished_at=now, outcome="accepted",
                              http_status=200)
    for kind in (EventKind.PLACED, EventKind.ATTEMPT_FAILED, EventKind.CONFIRMED, EventKind.EMAIL_SENT):
        record_event(confirmed, kind, customer="Saw the status page move on by itself, without reloading it.",
                     engine="Store order: the call to the shop, its outcome recorded with the attempt.",
                     database="Committed: the attempt's row and the order's new status, in one transaction.")
    confirmed.confirm(shop_order_id="SHOP-5F2A9C", now=now)
    confirmed.__class__.objects.filter(pk=confirmed.pk).update(mail_status=MailStatus.SENT)

    failed = make_order(menu, pizza="funghi", attempt_limit=1, customer_email="failed@example.com")
    failed.begin_attempt(now=now)
    failed.attempts.create(number=1, due_at=now, started_at=now, finished_at=now, outcome="transient_error",
                           http_status=503, error="the shop answered 503: down for maintenance")
    failed.fail(reason="the shop could not be reached after 1 attempts", now=now)

    sending = make_order(menu, pizza="diavola", customer_email="busy@example.com")
    sending.begin_attempt(now=now - timedelta(seconds=2))
    sending.attempts.create(number=1, due_at=now, started_at=now - timedelta(seconds=2))
    return {"confirmed": confirmed, "failed": failed, "sending": sending}


@pytest.fixture
def staff(transactional_db):
    return get_user_model().objects.create_superuser("trainer", "trainer@asyncpizza.example", STAFF_PASSWORD)


def assert_fits_sideways(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        sticking_out = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .slice(-5).map((el) => el.tagName + '.' + el.className)"""
        )
        pytest.fail(f"{page.url} scrolls {overflow} px sideways; sticking out: {sticking_out}")


def assert_scroll_regions_reachable(page) -> None:
    """Whatever scrolls sideways inside the page can be reached with the keyboard (and is named)."""
    unreachable = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter((el) => el.scrollWidth > el.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
            .filter((el) => el.tabIndex < 0 && !el.querySelector('a, button, input, select, textarea, [tabindex]'))
            .map((el) => el.tagName + '.' + el.className)"""
    )
    assert unreachable == [], f"{page.url}: regions that scroll but a keyboard cannot reach: {unreachable}"


def check(page) -> None:
    page.wait_for_load_state("networkidle")
    assert_accessible(page)
    assert_fits_sideways(page)
    assert_scroll_regions_reachable(page)


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.slow
def test_every_page_is_accessible_and_fits_the_screen(browser, live_server, orders, staff, screen):
    context = browser.new_context(base_url=live_server.url, **SCREENS[screen])
    page = context.new_page()
    try:
        confirmed, failed = orders["confirmed"], orders["failed"]
        for url in ["/", confirmed.get_absolute_url(), failed.get_absolute_url(),
                    f"{confirmed.get_absolute_url()}cancel/", f"{confirmed.get_absolute_url()}diagram/"]:
            page.goto(url)
            check(page)
        page.goto("/")
        page.get_by_role("button", name="Place order").click()
        expect(page.get_by_role("alert")).to_be_visible()
        check(page)

        page.goto("/api/docs")
        expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
        check(page)
        page.locator(".opblock-summary-control").first.click()  # an operation opened, as a reader does
        expect(page.locator(".opblock-body").first).to_be_visible()
        check(page)

        page.goto("/admin/login/?next=/admin/")
        check(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
        log_in(page, username="trainer", password=STAFF_PASSWORD)
        expect(page.get_by_role("heading", name="Engine health")).to_be_visible()
        for url in ["/admin/", "/admin/needs-attention/", "/admin/orders/order/",
                    f"/admin/orders/order/{confirmed.pk}/change/", f"/admin/orders/order/{failed.pk}/change/",
                    f"/admin/workflow/storeattempt/{confirmed.attempts.first().pk}/change/",
                    "/admin/django_q/success/", "/mailbox/", "/trainer/", "/trainer/diagram/"]:
            page.goto(url)
            check(page)
        assert page.request.get("/favicon.ico").ok
    finally:
        context.close()


def test_the_health_panel_spans_the_page(page, live_server, staff):
    page.goto("/admin/")
    log_in(page, username="trainer", password=STAFF_PASSWORD)
    panel = page.locator("#health-panel").bounding_box()
    content = page.locator("#content").bounding_box()
    assert panel["width"] >= content["width"] - 2, (panel, content)


def test_the_trainers_first_screen_holds_the_switch_the_scenarios_and_the_live_diagram(
    browser, live_server, orders, staff, monkeypatch
):
    # No cluster runs here, so the diagram would draw every worker stopped: this test is about the page's
    # layout with a busy worker's lane (the 'sending' order), so the queue reads as running.
    def running_queue(now=None, **kwargs):
        now = now or timezone.now()
        return QueueVerdict(state=QueueState.RUNNING, probe=probe_reading(now),
                            workers_alive=settings.Q_CLUSTER["workers"], last_task_at=now)

    monkeypatch.setattr("workflow.snapshot.queue_verdict", running_queue)
    context = browser.new_context(base_url=live_server.url, **SCREENS["1280"])
    page = context.new_page()
    try:
        page.goto("/trainer/")
        log_in(page, username="trainer", password=STAFF_PASSWORD)
        expect(page.get_by_role("heading", name="Trainer", level=1)).to_be_visible()
        on_first_screen = [
            page.get_by_role("radio", name=re.compile("^Asynchronous")),
            page.get_by_role("radio", name=re.compile("^Synchronous")),
            page.get_by_role("button", name="Switch"),
            *page.locator(".scenarios").get_by_role("button").all(),
            page.locator("#diagram svg"),
        ]
        assert len(on_first_screen) == 3 + len(SCENARIOS) + 1  # every scenario's button
        for element in on_first_screen:
            box = element.bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, (element, box)

        # The figures' tables stay inside their panel.
        panel = page.locator("#figures").bounding_box()
        for table in page.locator("#figures table").all():
            box = table.bounding_box()
            assert box["x"] + box["width"] <= panel["x"] + panel["width"] + 1, box

        # A busy worker's label fits its bar.
        lane = page.locator("#diagram .lane--busy").first
        expect(lane).to_be_visible()
        text, bar = lane.locator("text.lane-text").bounding_box(), lane.locator("rect").bounding_box()
        assert text["x"] + text["width"] <= bar["x"] + bar["width"], (text, bar)
        print(f"trainer page at 1280×720: {page.evaluate('document.documentElement.scrollHeight')} px tall")
    finally:
        context.close()


def test_a_customer_reads_no_exception_names_and_the_admin_keeps_them(page, live_server, orders, staff):
    page.goto(orders["confirmed"].get_absolute_url())
    attempts = page.get_by_role("table", name="Attempts to reach the shop")
    expect(attempts).to_contain_text("the shop's answer was lost")
    expect(page.locator("main")).not_to_contain_text("RemoteDisconnected")
    expect(page.get_by_role("link", name="Cancel this order…")).to_have_class(re.compile(r"\bbutton--secondary\b"))

    page.goto(f"/admin/workflow/storeattempt/{orders['confirmed'].attempts.first().pk}/change/")
    log_in(page, username="trainer", password=STAFF_PASSWORD)
    expect(page.locator("#content")).to_contain_text("RemoteDisconnected")
    # One clock: 24 hours with seconds, in the admin too.
    expect(page.locator("#content")).not_to_contain_text(re.compile(r"\b[ap]\.m\."))
    expect(page.locator("#content")).to_contain_text(re.compile(r"\b\d{2}:\d{2}:\d{2}\b"))

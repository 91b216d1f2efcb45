"""The Content-Security-Policy (django-csp) is on, refuses what it should, and every kind of page still works
under it: htmx (the price line, the status page's polls, the trainer's figures), the SVG diagrams, Swagger UI
at /api/docs, the admin. Every browser test fails on a refusal the page logs (PageWatch in conftest.py); the
ones here walk the pages that use each of those. The page refusing a staff member without the permission
(403) says which one is missing, and axe-core finds nothing serious on it."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from .axe import assert_accessible
from .pages import Order, OrderForm, log_in

pytestmark = pytest.mark.browser
PASSWORD = "a-long-staff-password-for-csp"


@pytest.fixture
def superuser(transactional_db):
    return get_user_model().objects.create_superuser("cora", "cora@asyncpizza.example", PASSWORD)


@pytest.fixture
def order_viewer(transactional_db):
    user = get_user_model().objects.create_user("vera", password=PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="orders", codename="view_order"))
    return user


def test_the_policy_is_sent_and_refuses_an_inline_script(browser, live_server):
    context = browser.new_context(base_url=live_server.url)  # unwatched: this page is meant to log a refusal
    try:
        page = context.new_page()
        refusals = []
        page.on("console", lambda message: refusals.append(message.text))
        response = page.goto("/")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy and "object-src 'none'" in policy
        page.evaluate("""() => { const script = document.createElement('script');
                                 script.textContent = 'window.injected = true'; document.head.append(script); }""")
        assert page.evaluate("window.injected") is None
        assert any("Content Security Policy" in text for text in refusals)
    finally:
        context.close()


def test_htmx_and_the_customers_diagram_work_under_the_policy(page, menu):
    form = OrderForm(page).open()
    form.fill(Order())
    form.quantity().fill("3")
    expect(page.locator("output#price")).to_have_text(re.compile(r"€\d+\.\d\d"))  # htmx recomputed it
    form.press(form.submit_button())
    expect(page.locator("[data-order-status]")).to_be_visible()
    page.get_by_role("link", name="See where your order is in our process").click()
    expect(page.get_by_role("img", name="Where your order is in our process")).to_be_visible()
    expect(page.locator("#diagram [data-step]").first).to_be_visible()


def test_swagger_ui_works_under_the_policy(page):
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.locator(".swagger-ui .opblock-summary").first.click()  # opens: its React code runs under the policy
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()


def test_the_admin_the_console_and_the_trainer_work_under_the_policy(page, superuser, menu):
    page.goto("/admin/")
    log_in(page, username="cora", password=PASSWORD)
    expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()
    page.goto("/admin/orders/order/")
    expect(page.locator("#changelist")).to_be_visible()
    page.goto("/admin/needs-attention/")
    expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
    page.goto("/trainer/")
    expect(page.locator("#diagram [data-step]").first).to_be_visible()
    with page.expect_response(re.compile(r"/trainer/figures/")):  # htmx polls the figures
        pass
    page.goto("/trainer/diagram/")
    expect(page.locator("#diagram [data-step]").first).to_be_visible()


def test_a_staff_member_without_the_permission_gets_a_page_naming_it(page, order_viewer):
    page.goto("/trainer/")
    log_in(page, username="vera", password=PASSWORD)
    expect(page.get_by_role("heading", name="Not allowed", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Running the trainer needs the permission “Can run the trainer” (trainer.run_trainer)")
    expect(page.get_by_role("link", name="Trainer")).to_have_count(0)  # the menu offers only what the account may open
    assert_accessible(page)

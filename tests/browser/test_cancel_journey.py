"""The customer's cancel button and its confirm step in a real Chromium, on a desktop and a phone, against
the real stack (live server, worker cluster, shop simulator, SMTP); axe-core checks each page on the way."""

import re

import pytest
from playwright.sync_api import expect

from ..support.waiting import wait_until
from .axe import serious_violations
from .pages import Order, OrderForm, assert_fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.cluster]


def test_a_customer_cancels_a_confirmed_order_after_confirming_the_step(customer_page, device, cluster, shop, smtp):
    page = customer_page
    shop.configure(cancel_window_s=300)
    status = OrderForm(page, touch=device.touch).open().place(Order(email="second.thoughts@example.com"))
    expect(status.in_status("confirmed")).to_be_visible(timeout=20_000)
    assert serious_violations(page) == []

    page.get_by_role("link", name="Cancel this order…").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/cancel/$"))
    expect(page.get_by_role("heading", name="Cancel your order?")).to_be_visible()
    expect(page.get_by_text("The shop may already have it")).to_be_visible()
    assert_fits_the_screen(page)
    assert serious_violations(page) == []

    # "No" changes nothing.
    page.get_by_role("link", name="No, keep my order").click()
    expect(status.in_status("confirmed")).to_be_visible()

    page.get_by_role("link", name="Cancel this order…").click()
    page.get_by_role("button", name="Yes, cancel my order").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    expect(status.in_status("cancelled")).to_be_visible(timeout=20_000)
    expect(status.badge()).to_have_text("Cancelled")
    expect(status.step("Cancelled")).to_contain_text("the shop confirmed it will not make it")
    expect(page.get_by_role("link", name="Cancel this order…")).to_have_count(0)
    assert serious_violations(page) == []
    assert [entry["status"] for entry in shop.ledger()] == ["cancelled"]
    wait_until(lambda: any("cancelled" in m["Subject"] for m in smtp.messages_to("second.thoughts@example.com")),
               timeout=30, message="the cancellation mail")


def test_the_confirm_step_works_without_javascript(browser, live_server, cluster, shop):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        status = OrderForm(page).open().place(Order(email="no.script@example.com"))
        page.get_by_role("link", name="Cancel this order…").click()
        page.get_by_role("button", name="Yes, cancel my order").click()
        expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
        expect(page.locator("[data-order-status]")).to_have_attribute(
            "data-order-status", re.compile(r"^(cancelled|cancelling)$")
        )
    finally:
        context.close()

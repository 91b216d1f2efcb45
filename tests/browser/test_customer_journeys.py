"""A customer's journeys in a real Chromium, on a desktop and on a phone, against the real stack: the app
(live server), the worker cluster, the shop simulator and an SMTP server, all on loopback."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from ..support.waiting import wait_until
from .pages import Order, OrderForm, StatusPage, assert_fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.cluster]


def test_a_slow_shop_does_not_slow_the_form_and_the_page_confirms_by_itself(customer_page, device, cluster, shop, smtp):
    page = customer_page
    shop.configure(latency_s=2)
    form = OrderForm(page, touch=device.touch).open()
    assert_fits_the_screen(page)

    status = form.place(Order(pizza="Diavola", size="Large (35 cm)", quantity="2", email="slow.shop@example.com"))

    # The answer came before the shop had the order: the page shows it on its way, the shop's ledger is empty.
    assert status.status() in {"received", "sending"}
    assert shop.ledger() == []
    expect(status.order_line()).to_contain_text("2 × Diavola, large")
    expect(status.step("Received")).to_contain_text("Your order is safe with us")
    assert_fits_the_screen(page)

    # The page moves on by itself: no reload, no navigation (a marker set on this window survives).
    page.evaluate("window.sameDocument = 'yes'")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    expect(status.in_status("confirmed")).to_be_visible(timeout=20_000)
    expect(status.badge()).to_have_text("Confirmed")
    assert page.evaluate("window.sameDocument") == "yes"
    assert navigations == []

    [entry] = shop.ledger()
    expect(status.step("Confirmed")).to_contain_text(f"reference {entry['shop_order_id']}")
    expect(status.step("Confirmed")).to_contain_text("A confirmation is on its way to slow.shop@example.com")
    expect(status.attempts()).to_have_count(1)
    expect(status.attempts().first).to_contain_text("Accepted by the shop")
    assert_fits_the_screen(page)

    [mail] = wait_until(lambda: smtp.messages_to("slow.shop@example.com"), timeout=20, message="the confirmation mail")
    assert "confirmed" in mail["Subject"]
    assert entry["shop_order_id"] in mail.get_body(preferencelist=("plain",)).get_content()


def test_an_order_the_shop_never_takes_says_so_plainly(customer_page, device, cluster, shop):
    page = customer_page
    shop.configure(down=True)
    status = OrderForm(page, touch=device.touch).open().place(Order(email="unlucky@example.com"))

    expect(status.in_status("failed")).to_be_visible(timeout=45_000)
    expect(status.badge()).to_have_text("Failed")
    attempts = settings.STORE_ORDER_MAX_ATTEMPTS
    expect(status.step("Failed")).to_contain_text(
        f"We could not place your order: the shop could not be reached after {attempts} attempts."
    )
    expect(status.step("Failed")).to_contain_text("You have not been charged")
    expect(status.step("Sending to the shop")).to_contain_text(f"{attempts} attempts.")
    expect(status.attempts()).to_have_count(attempts)
    for row in status.attempts().all():
        expect(row).to_contain_text("Transient error")
        expect(row).to_contain_text("503")
    expect(status.announcer()).to_have_text("Order status: Failed.")
    assert_fits_the_screen(page)
    assert shop.ledger() == []


def test_bad_input_is_explained_beside_each_field_and_kept(customer_page, device, cluster, live_server):
    page = customer_page
    form = OrderForm(page, touch=device.touch).open()
    typed = Order(
        pizza=None, size="Large (35 cm)", quantity="0", name="Grace Hopper", email="grace@", address="1 Compiler Way"
    )
    form.fill(typed)
    form.press(form.submit_button())

    # Still the form, nothing ordered, and a summary of what to fix.
    expect(form.error_summary()).to_contain_text("Please check 3 fields")
    expect(page).to_have_url(f"{live_server.url}/")

    # Each error stands beside its field and is what a screen reader reads with it (aria-describedby).
    errors = {  # field: (what carries the description, the first control under the error, the message)
        "pizza": (form.pizza_group(), form.pizza("Margherita"), "This field is required."),
        "quantity": (form.quantity(), form.quantity(), "Ensure this value is greater than or equal to 1."),
        "email": (form.email(), form.email(), "Enter a valid email address."),
    }
    for field, (described, control, message) in errors.items():
        described_by = described.get_attribute("aria-describedby")
        assert described_by, f"nothing describes {field} to a screen reader (no aria-describedby)"
        error = page.locator(f"#{described_by}")
        expect(error, f"the error of {field}").to_have_text(re.compile(re.escape(message)))
        expect(error).to_be_visible()
        expect(described).to_have_accessible_description(re.compile(re.escape(message)))
        assert_beside(error, control, field)
    for valid in (form.name(), form.address(), form.size_group()):
        expect(valid).not_to_have_attribute("aria-describedby", re.compile("."))

    # The focus is on the first field to fix, the first pizza of the menu.
    expect(form.pizza("Margherita")).to_be_focused()
    assert page.evaluate("document.activeElement.name") == "pizza"

    # What was typed is still there.
    expect(form.size(typed.size)).to_be_checked()
    expect(form.quantity()).to_have_value("0")
    expect(form.name()).to_have_value("Grace Hopper")
    expect(form.email()).to_have_value("grace@")
    expect(form.address()).to_have_value("1 Compiler Way")
    assert_fits_the_screen(page)

    # Fixing the three fields is enough to order.
    form.press(form.pizza_group().get_by_text("Funghi", exact=True))
    form.quantity().fill("1")
    form.email().fill("grace@example.com")
    form.press(form.submit_button())
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    expect(StatusPage(page).order_line()).to_contain_text("1 × Funghi, large")
    expect(page.get_by_text("for Grace Hopper, 1 Compiler Way")).to_be_visible()


def assert_beside(error, control, field: str) -> None:
    """The error is just above its control (for a group of choices, above the first one), not elsewhere."""
    # Both boxes in one go: the page may scroll between two separate measurements (it does on a phone).
    gap = error.evaluate(
        "(error, control) => control.getBoundingClientRect().top - error.getBoundingClientRect().bottom",
        control.element_handle(),
    )
    assert 0 <= gap <= 48, f"the error of {field} is not just above its field (gap: {gap:.0f} px)"

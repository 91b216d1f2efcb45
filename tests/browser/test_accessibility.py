"""Accessibility, checked in a real Chromium: every control has a label, radio groups are fieldsets with a
legend, status changes are announced politely, and a keyboard alone can order."""

import re
from itertools import pairwise

import pytest
from playwright.sync_api import expect

from .pages import Order, OrderForm, StatusPage

pytestmark = pytest.mark.browser


def test_every_control_of_the_order_form_has_a_label(page, menu):
    form = OrderForm(page).open()

    # Each field, found by its label, is the field the contract names.
    fields = {"Quantity": "quantity", "Your name": "name", "Email": "email", "Delivery address": "address"}
    for label, name in fields.items():
        expect(page.get_by_label(label, exact=True)).to_have_attribute("name", name)
    for pizza in menu.values():
        expect(form.pizza(pizza.name)).to_have_attribute("value", pizza.slug)
    for label, value in [("Small (25 cm)", "small"), ("Medium (30 cm)", "medium"), ("Large (35 cm)", "large")]:
        expect(form.size(label)).to_have_attribute("value", value)

    # Every control has an accessible name, whatever gives it one.
    controls = page.locator("form#order-form").locator("input:not([type=hidden]), select, textarea, button")
    assert controls.count() == len(menu) + 3 + 4 + 1
    for control in controls.all():
        expect(control).to_have_accessible_name(re.compile(r"\w"))

    # Radio buttons come in groups, each a fieldset whose legend names it.
    for group, name, count in [(form.pizza_group(), "pizza", len(menu)), (form.size_group(), "size", 3)]:
        expect(group).to_have_js_property("tagName", "FIELDSET")
        expect(group.get_by_role("radio")).to_have_count(count)
        expect(page.locator(f"input[type=radio][name={name}]")).to_have_count(count)


@pytest.mark.cluster
def test_status_changes_are_announced_politely(page, cluster, shop):
    shop.configure(latency_s=2.5)  # several polls while the order is with the shop (its timeout is 3 s)
    status = OrderForm(page).open().place(Order(email="listening@example.com"))

    announcer = status.announcer()
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text(re.compile(r"^Order status: (Received|Sending to the shop, attempt 1 of \d+)\.\s*$"))
    # Record every change of the live region, and keep hold of the element itself: a screen reader only
    # announces changes to a live region that stays in the page.
    page.evaluate(
        """() => {
            const region = document.getElementById("status-announcer");
            window.liveRegion = region;
            window.announced = [region.textContent.trim()];
            new MutationObserver(() => window.announced.push(region.textContent.trim()))
                .observe(region, {childList: true, characterData: true, subtree: true});
        }"""
    )

    expect(announcer).to_have_text("Order status: Confirmed.", timeout=20_000)
    assert page.evaluate("document.getElementById('status-announcer') === window.liveRegion")
    announced = [text for text in page.evaluate("window.announced") if text]
    assert announced[-1] == "Order status: Confirmed."
    assert re.fullmatch(r"Order status: Sending to the shop, attempt 1 of \d+\.", announced[-2]), announced
    # Only changes are announced: the page polls every second, but says each thing once.
    assert all(before != after for before, after in pairwise(announced)), announced
    expect(status.badge()).to_have_text("Confirmed")


@pytest.mark.cluster
def test_a_keyboard_alone_can_order(page, cluster):
    form = OrderForm(page).open()
    keyboard = page.keyboard

    keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    keyboard.press("Enter")  # to the main content
    keyboard.press("Tab")
    expect(form.pizza("Margherita")).to_be_focused()
    keyboard.press("Space")
    expect(form.pizza("Margherita")).to_be_checked()
    keyboard.press("ArrowDown")  # arrows move through a radio group, choosing as they go
    keyboard.press("ArrowDown")
    expect(form.pizza("Diavola")).to_be_focused()
    expect(form.pizza("Diavola")).to_be_checked()

    keyboard.press("Tab")
    expect(form.size("Medium (30 cm)")).to_be_focused()  # the group's chosen radio
    keyboard.press("ArrowRight")
    expect(form.size("Large (35 cm)")).to_be_checked()

    keyboard.press("Tab")
    expect(form.quantity()).to_be_focused()
    keyboard.press("ControlOrMeta+a")
    keyboard.type("3")
    expect(page.locator("output#price")).to_have_text("€43.50")  # 3 × €14.50

    keyboard.press("Tab")
    expect(form.name()).to_be_focused()
    keyboard.type("Alan Turing")
    keyboard.press("Tab")
    expect(form.email()).to_be_focused()
    keyboard.type("alan@example.com")
    keyboard.press("Tab")
    expect(form.address()).to_be_focused()
    keyboard.type("2 Bletchley Park")
    keyboard.press("Tab")
    expect(form.submit_button()).to_be_focused()
    keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    expect(StatusPage(page).order_line()).to_contain_text("3 × Diavola, large")
    expect(page.get_by_text("for Alan Turing, 2 Bletchley Park")).to_be_visible()

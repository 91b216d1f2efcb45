"""Trainer mode in a real Chromium: what a synchronous step shows a customer when the shop fails, and a
trainer who switches the switch and a scenario, sends customers, and watches the figures move."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from trainer.access import ensure_trainers_group
from orders.models import Order as OrderRow
from orders.models import StoreMode
from workflow.models import set_store_mode

from .pages import STATUS_PAGE, Order, OrderForm, StatusPage, log_in

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

TRAINER_PASSWORD = "a-long-trainer-password-1"


def test_with_the_step_synchronous_a_shop_error_is_shown_on_the_form_with_the_input_kept(customer_page, device, cluster, shop):
    set_store_mode(StoreMode.SYNC)
    shop.configure(failure_rate=1.0)
    form = OrderForm(customer_page, touch=device.touch).open()
    order = Order(pizza="Funghi", size="Small (25 cm)", quantity="3", name="Sync Sam", email="sam@example.com")
    form.fill(order)
    form.press(form.submit_button())

    summary = form.error_summary()
    expect(summary).to_contain_text("Your order was not placed")
    expect(summary).to_contain_text("The pizza shop did not take your order")
    expect(summary).to_contain_text("Nothing was ordered")
    expect(customer_page).not_to_have_url(STATUS_PAGE)
    # Everything the customer typed is still there, so deciding to submit again is one press.
    expect(form.pizza("Funghi")).to_be_checked()
    expect(form.size("Small (25 cm)")).to_be_checked()
    expect(form.quantity()).to_have_value("3")
    expect(form.name()).to_have_value("Sync Sam")
    expect(form.address()).to_have_value(order.address)
    assert not OrderRow.objects.exists() and shop.ledger() == []

    # The customer tries again once the shop is better: synchronous, so the page says "confirmed" at once.
    shop.configure(failure_rate=0.0)
    form.press(form.submit_button())
    expect(customer_page).to_have_url(STATUS_PAGE)
    assert StatusPage(customer_page).status() == "confirmed"  # as the page arrives, not after a poll


@pytest.fixture
def trainer(transactional_db):
    user = get_user_model().objects.create_user("tessa", password=TRAINER_PASSWORD, is_staff=True)
    user.groups.add(ensure_trainers_group())  # running the trainer needs its permission (trainer.access)
    return user


def test_a_trainer_switches_mode_and_scenario_and_sees_the_counts_move(staff_page, trainer, cluster, shop):
    page = staff_page
    page.goto("/trainer/")
    log_in(page, username="tessa", password=TRAINER_PASSWORD)
    expect(page.get_by_role("heading", name="Trainer", level=1)).to_be_visible()

    # Synchronous, unreliable shop, a fixed seed: of 10 customers, some see an error, the others get pizza.
    page.get_by_label("Synchronous (inside the form's request)").check()
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_text("Store order now runs synchronously.")).to_be_visible()
    page.get_by_role("button", name="Unreliable shop (20 % of calls fail)").click()
    expect(page.get_by_text("Scenario: Unreliable shop (20 % of calls fail).")).to_be_visible()
    expect(page.get_by_label("Failure rate (0–1)")).to_have_value("0.2")
    page.get_by_label("Seed (blank: random)").fill("4")
    page.get_by_role("button", name="Set knobs").click()
    expect(page.get_by_text("The shop's knobs are set.")).to_be_visible()

    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Made-up customers").fill("10")
    page.get_by_role("button", name="Send a batch of orders").click()
    page.evaluate("window.stillTheSamePage = true")  # the batch's answer is a new page; from here on, no reload
    sync_row = page.locator('tr[data-mode="sync"]')
    # Every customer ends in one of the two columns, live: orders placed, or errors shown.
    page.wait_for_function(
        """() => { const row = document.querySelector('tr[data-mode="sync"]');
                   return row && (+row.querySelector('[data-total]').textContent
                                  + +row.querySelector('[data-errors-shown]').textContent) === 10; }""",
        timeout=60_000,
    )
    errors_shown = int(sync_row.locator("[data-errors-shown]").inner_text())
    assert 0 < errors_shown < 10  # 20 % of calls fail: some customers saw the error, most did not
    assert page.evaluate("window.stillTheSamePage") is True

    # Asynchronous, happy path: 5 more customers, all confirmed, and the shop's ledger counts them all.
    page.get_by_label("Asynchronous (a background job)").check()
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("button", name="Happy path").click()
    page.get_by_label("Made-up customers").fill("5")
    page.get_by_role("button", name="Send a batch of orders").click()
    async_row = page.locator('tr[data-mode="async"]')
    expect(async_row.locator('[data-status="confirmed"]')).to_have_text("5", timeout=60_000)
    expect(async_row.locator("[data-errors-shown]")).to_have_text("0")
    expect(page.locator("[data-ledger-size]")).to_have_text(str(10 - errors_shown + 5))
    expect(page.locator("[data-duplicates]")).to_have_text("0")

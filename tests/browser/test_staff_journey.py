"""A member of staff in a real Chromium: logs in to the admin, finds a customer's failed order, reads its
attempts, retries it once the shop is back, and follows its django-q2 tasks."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from .pages import Order, OrderForm, log_in

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

STAFF_PASSWORD = "a-long-staff-password-1"


@pytest.fixture
def staff_user(transactional_db):
    return get_user_model().objects.create_superuser("rosa", "rosa@asyncpizza.example", STAFF_PASSWORD)


def test_staff_find_a_failed_order_retry_it_and_follow_its_tasks(page, staff_page, staff_user, cluster, shop):
    # Someone orders while all is well; then a customer orders while the shop is down, and is told it failed.
    other = OrderForm(page).open().place(Order(name="Someone Else", email="someone.else@example.com"))
    expect(other.in_status("confirmed")).to_be_visible(timeout=20_000)
    shop.configure(down=True)
    customer = OrderForm(page).open().place(Order(name="Ada Lovelace", email="ada.retry@example.com"))
    expect(customer.in_status("failed")).to_be_visible(timeout=45_000)
    order_ref = page.url.rstrip("/").rsplit("/", 1)[1]
    short_id = order_ref[:8]
    shop.configure(down=False)

    # Staff log in through the admin's own form.
    admin = staff_page
    admin.goto("/admin/")
    log_in(admin, username="rosa", password=STAFF_PASSWORD)
    expect(admin.get_by_role("heading", name="Operations", level=1)).to_be_visible()

    # They find the order by the customer's email.
    admin.get_by_role("rowheader").get_by_role("link", name="Orders", exact=True).click()
    admin.get_by_role("textbox", name="Search").fill("ada.retry@example.com")
    admin.keyboard.press("Enter")
    expect(admin.get_by_text("1 result (2 total)")).to_be_visible()
    row = admin.get_by_role("row").filter(has_text="ada.retry@example.com")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text(f"{settings.STORE_ORDER_MAX_ATTEMPTS}/{settings.STORE_ORDER_MAX_ATTEMPTS}")

    # Its page lists every attempt, inline.
    row.get_by_role("link", name=short_id).click()
    reason = f"the shop could not be reached after {settings.STORE_ORDER_MAX_ATTEMPTS} attempts"
    expect(admin.get_by_text(reason, exact=True)).to_be_visible()
    attempts = admin.locator(".inline-group").get_by_role("row").filter(has_text="Transient error")
    expect(attempts).to_have_count(settings.STORE_ORDER_MAX_ATTEMPTS)

    # Back on the list, the retry action sends it again.
    admin.go_back()
    row.get_by_role("checkbox").check()
    retry = "Retry selected failed orders (fresh budget of attempts)"
    admin.get_by_role("combobox", name="Action").select_option(label=retry)
    admin.get_by_role("button", name="Go").click()
    expect(admin.get_by_text("Retrying 1 order(s).")).to_be_visible()

    # The order's status page, linked from the admin, shows it go through.
    row.get_by_role("link", name=short_id).click()
    admin.get_by_role("link", name=f"/orders/{order_ref}/").click()
    expect(admin.locator('[data-order-status="confirmed"]')).to_be_visible(timeout=30_000)
    # The customer's page stopped following the order when it failed; a reload shows the news.
    page.reload()
    expect(customer.in_status("confirmed")).to_be_visible()

    # The order's page links to its django-q2 tasks: the successful ones include its store-order job.
    admin.go_back()
    admin.get_by_role("link", name="Successful", exact=True).click()
    expect(admin.get_by_role("heading", name=re.compile("Select successful task", re.IGNORECASE))).to_be_visible()
    task_rows = admin.locator("#result_list tbody").get_by_role("row")
    expect(task_rows.filter(has_text="workflow.attempt.store_order_task").first).to_be_visible()
    expect(task_rows.filter(has_text="workflow.mail.send_status_email_task").first).to_be_visible()
    for task_row in task_rows.all():
        expect(task_row).to_contain_text(f"order {order_ref}")  # only this order's tasks

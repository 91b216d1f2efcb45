"""The pages a person meets when a safety limit stops them: the admin's lockout after too many wrong
passwords, and the order form once an address has placed too many orders. Each says what happened and what
to do, in a page axe-core finds no serious problem with."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from .axe import assert_accessible
from .pages import Order, OrderForm, assert_fits_the_screen, log_in

pytestmark = pytest.mark.browser
PASSWORD = "the-right-staff-password-7"


@pytest.fixture
def staff_user(transactional_db):
    return get_user_model().objects.create_superuser("rosa", "rosa@asyncpizza.example", PASSWORD)


def test_ten_wrong_passwords_lock_the_admin_login_with_a_page_that_says_how_to_get_in(page, staff_user):
    page.goto("/admin/")
    for attempt in range(1, 10):
        log_in(page, username="rosa", password=f"wrong-{attempt}")
        expect(page.get_by_text("Please enter the correct username and password")).to_be_visible()
    log_in(page, username="rosa", password="wrong-10")

    expect(page.get_by_role("heading", name="Too many failed logins", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("after 10 wrong passwords")
    expect(page.get_by_text("python manage.py axes_reset_username rosa")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)

    # The right password is refused too, until an admin unlocks the account.
    page.goto("/admin/")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        log_in(page, username="rosa", password=PASSWORD)
    assert answer.value.status == 429
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    call_command("axes_reset_username", "rosa")
    page.goto("/admin/")
    log_in(page, username="rosa", password=PASSWORD)
    expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()


def test_too_many_orders_from_one_address_are_refused_on_the_form_with_the_input_kept(page, menu, settings):
    settings.ORDER_RATE_LIMIT = (1, 3600)
    cache.clear()
    try:
        OrderForm(page).open().place(Order())
        form = OrderForm(page).open()
        form.fill(Order(name="Ada Lovelace"))
        with page.expect_response(lambda response: response.request.method == "POST") as answer:
            form.press(form.submit_button())
        assert answer.value.status == 429 and 1 <= int(answer.value.headers["retry-after"]) <= 3600
        expect(form.error_summary()).to_contain_text("Your order was not placed")
        expect(form.error_summary()).to_contain_text("Too many orders from your address: at most 1 every hour.")
        expect(form.name()).to_have_value("Ada Lovelace")
        assert_fits_the_screen(page)
        assert_accessible(page)
    finally:
        cache.clear()

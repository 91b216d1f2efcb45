"""The customer's pages as a client sees them (Django's test client; the browser suite drives Chromium)."""

import uuid

import pytest
from django.utils import timezone

from orders.models import Order

from ..factories import ORDER_FORM, make_order

pytestmark = pytest.mark.django_db


def test_the_form_shows_the_menu_with_prices(client, menu):
    page = client.get("/").content.decode()
    assert page.count('name="pizza"') == len(menu) >= 6
    assert "Quattro formaggi" in page and "€13.00" in page
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("pizza", "pineapple-surprise", "Select a valid choice"),
        ("size", "gigantic", "Select a valid choice"),
        ("quantity", "0", "greater than or equal to 1"),
        ("quantity", "21", "less than or equal to 20"),
        ("quantity", "two", "Enter a whole number"),
        ("email", "not-an-address", "Enter a valid email address"),
        ("name", "   ", "This field is required"),
        ("address", "", "This field is required"),
    ],
)
def test_bad_input_is_shown_beside_its_field_and_nothing_is_ordered(client, menu, field, value, message):
    response = client.post("/", {**ORDER_FORM, field: value})
    page = response.content.decode()
    assert response.status_code == 200
    error_id = f'id="id_{field}_error"'
    assert error_id in page
    error_paragraph = page[page.index(error_id):page.index("</p>", page.index(error_id))]
    assert message in error_paragraph
    assert f'aria-describedby="id_{field}_error"' in page
    assert Order.objects.count() == 0


def test_the_input_is_kept_when_the_form_comes_back(client, menu):
    page = client.post("/", {**ORDER_FORM, "email": "nope"}).content.decode()
    assert 'value="Grace Hopper"' in page
    assert "1 Compiler Way</textarea>" in page
    assert "checked" in input_tag(page, 'value="large"')
    assert "checked" not in input_tag(page, 'value="small"')
    assert "checked" in input_tag(page, 'value="margherita"')


def input_tag(page: str, marker: str) -> str:
    at = page.index(marker)
    return page[page.rindex("<input", 0, at):page.index(">", at)]


def test_the_first_field_with_an_error_gets_the_focus(client, menu):
    page = client.post("/", {**ORDER_FORM, "quantity": "0", "email": "nope"}).content.decode()
    assert page.count("autofocus") == 1
    focused = page[:page.index("autofocus")]
    assert focused.rindex('id="id_quantity"') > focused.rfind('id="id_email"')


def test_the_price_follows_size_and_quantity(client, menu):
    response = client.get("/price/", {"pizza": "quattro-formaggi", "size": "large", "quantity": "3"})
    assert "€45.00" in response.content.decode()
    response = client.get("/price/", {"pizza": "quattro-formaggi", "size": "large", "quantity": "abc"})
    assert "€" not in response.content.decode()


def test_the_order_form_needs_the_csrf_token(menu):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/", ORDER_FORM)
    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_an_unknown_order_is_not_found(client):
    assert client.get(f"/orders/{uuid.uuid4()}/").status_code == 404
    assert client.get("/orders/1/").status_code == 404  # row ids are not addresses


def test_the_status_page_carries_the_status_and_polls_until_final(client, menu):
    order = make_order(menu)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-order-status="received"' in page
    assert 'hx-trigger="every 1s"' in page
    assert '<meta http-equiv="refresh"' in page  # without JavaScript it still moves

    order.begin_attempt(now=timezone.now())
    order.confirm(shop_order_id="SHOP-42", now=timezone.now())
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-order-status="confirmed"' in page
    assert "SHOP-42" in page
    assert "hx-trigger" not in page and "http-equiv" not in page


def test_htmx_polls_get_the_progress_only_and_stop_at_a_final_status(client, menu):
    order = make_order(menu)
    response = client.get(order.get_absolute_url(), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.content.decode()

    order.begin_attempt(now=timezone.now())
    order.wait_for_retry(at=timezone.now() + timezone.timedelta(seconds=4))
    page = client.get(order.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert "Attempt 1 of 3 did not get through; next try in" in page

    order.begin_attempt(now=timezone.now())
    order.fail(reason="The shop was down.", now=timezone.now())
    response = client.get(order.get_absolute_url(), headers={"HX-Request": "true"})
    assert response.status_code == 286  # htmx stops polling
    assert 'data-order-status="failed"' in response.content.decode()


def test_screen_readers_hear_a_change_once(client, menu):
    order = make_order(menu)
    url = order.get_absolute_url()
    first = client.get(url, {"seen": "unknown"}, headers={"HX-Request": "true"}).content.decode()
    assert 'id="status-announcer" hx-swap-oob' in first
    again = client.get(url, {"seen": order.progress_version}, headers={"HX-Request": "true"}).content.decode()
    assert "status-announcer" not in again


def test_the_mailbox_is_for_staff_only(client, admin_client):
    assert client.get("/mailbox/").status_code == 302
    assert admin_client.get("/mailbox/").status_code == 200

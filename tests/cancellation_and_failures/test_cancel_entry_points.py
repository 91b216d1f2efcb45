"""The three ways to cancel: the status page's button and confirm step (CSRF), the API (202/409/404,
documented), and the admin's action; and the mail's state in the admin."""

import json

import pytest
from django.test import Client
from django.utils import timezone

from orders.models import MailStatus, Order, OrderStatus

from ..factories import make_order

pytestmark = pytest.mark.django_db


def failed(menu):
    order = make_order(menu)
    order.begin_attempt(now=timezone.now())
    order.fail(reason="the shop refused the order (HTTP 422)", now=timezone.now())
    return order


# --- The customer's pages ------------------------------------------------------------------------------

def test_the_status_page_offers_a_cancel_step_that_asks_first(client, menu):
    order = make_order(menu)
    page = client.get(order.get_absolute_url()).content.decode()
    assert f'href="/orders/{order.public_id}/cancel/"' in page
    confirm = client.get(f"/orders/{order.public_id}/cancel/").content.decode()
    assert "Cancel your order?" in confirm and 'name="csrfmiddlewaretoken"' in confirm
    assert "Yes, cancel my order" in confirm and "No, keep my order" in confirm
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RECEIVED  # looking changes nothing


def test_confirming_cancels_and_returns_to_the_status_page(menu):
    browser = Client(enforce_csrf_checks=True)
    order = make_order(menu)
    confirm = browser.get(f"/orders/{order.public_id}/cancel/").content.decode()
    token = confirm.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = browser.post(f"/orders/{order.public_id}/cancel/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 303 and response["Location"] == order.get_absolute_url()
    page = browser.get(order.get_absolute_url()).content.decode()
    assert 'data-order-status="cancelled"' in page and "before it reached the shop" in page
    assert "Cancel this order" not in page


def test_a_cancel_without_the_csrf_token_is_refused(menu):
    order = make_order(menu)
    response = Client(enforce_csrf_checks=True).post(f"/orders/{order.public_id}/cancel/")
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RECEIVED


def test_a_failed_order_cannot_be_cancelled_and_the_page_says_why(client, menu):
    order = failed(menu)
    response = client.post(f"/orders/{order.public_id}/cancel/")
    assert response.status_code == 409
    assert "nothing to cancel" in response.content.decode()
    assert "Cancel this order" not in client.get(order.get_absolute_url()).content.decode()


def test_an_unknown_order_has_no_cancel_page(client, db):
    assert client.get("/orders/00000000-0000-4000-8000-000000000000/cancel/").status_code == 404


# --- The API ---------------------------------------------------------------------------------------------

def cancel(client, order_id):
    return client.post(f"/api/orders/{order_id}/cancel", content_type="application/json")


def test_the_api_cancels_with_202_and_shows_the_order(client, menu):
    order = make_order(menu)
    response = cancel(client, order.public_id)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "cancelled" and body["cancelled_at"] and body["cancel_refused_reason"] is None
    assert body["final_at"] == body["cancelled_at"]
    assert cancel(client, order.public_id).status_code == 202  # asking again changes nothing


def test_the_api_answers_409_with_the_reason_when_it_cannot_cancel(client, menu):
    order = failed(menu)
    response = cancel(client, order.public_id)
    assert response.status_code == 409
    assert "failed" in response.json()["message"] and response.json()["errors"] == []
    too_late = make_order(menu)
    too_late.begin_attempt(now=timezone.now())
    too_late.confirm(shop_order_id="SHOP-1", now=timezone.now())
    Order.objects.filter(pk=too_late.pk).update(cancel_refused_reason="already in the oven")
    response = cancel(client, too_late.public_id)
    assert response.status_code == 409 and "already in the oven" in response.json()["message"]


def test_the_api_answers_404_for_an_unknown_order(client, db):
    response = cancel(client, "00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404 and json.loads(response.content)["message"]


# --- The admin ---------------------------------------------------------------------------------------------

def test_the_admins_cancel_action_cancels_and_says_what_it_did(admin_client, menu):
    waiting, confirmed, gone = make_order(menu), make_order(menu), failed(menu)
    confirmed.begin_attempt(now=timezone.now())
    confirmed.confirm(shop_order_id="SHOP-2", now=timezone.now())
    response = admin_client.post(
        "/admin/orders/order/",
        {"action": "cancel_orders", "_selected_action": [waiting.pk, confirmed.pk, gone.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "Cancelled 1 order(s) at once; asking the shop to cancel 1." in text
    assert "Not cancelled" in text and gone.short_id in text
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {waiting.pk: "cancelled", confirmed.pk: "cancelling", gone.pk: "failed"}
    assert Order.objects.get(pk=confirmed.pk).cancel_requested_by == "admin"


def test_the_admin_filters_on_undeliverable_mail(admin_client, menu):
    bad = make_order(menu, customer_email="nobody@example.com")
    Order.objects.filter(pk=bad.pk).update(mail_status=MailStatus.UNDELIVERABLE, mail_error="550 no such mailbox")
    make_order(menu, customer_email="fine@example.com")
    listing = admin_client.get("/admin/orders/order/", {"mail_status__exact": "undeliverable"}).content.decode()
    assert "nobody@example.com" in listing and "fine@example.com" not in listing

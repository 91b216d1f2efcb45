"""The admin shows what the API keeps: notifications with their tries, and the idempotency keys it recorded."""

import pytest

from api.models import CallbackDelivery, DeliveryState
from orders.models import Order
from workflow.models import IdempotencyRecord

from .helpers import order_body, post_order

pytestmark = pytest.mark.django_db


def test_staff_see_a_notifications_tries_and_last_error(admin_client, client, menu):
    post_order(client, order_body(callback_url="http://127.0.0.1:9/hook"), key="admin-key")
    order = Order.objects.get()
    delivery = CallbackDelivery.objects.create(
        order=order, status="confirmed", url=order.callback_url, body="{}", max_tries=8, tries=2,
        last_http_status=503, last_error="answered 503: down for maintenance",
    )

    listing = admin_client.get("/admin/api/callbackdelivery/", {"state": DeliveryState.PENDING}).content.decode()
    assert "for Grace Hopper" in listing and "Waiting for its next try" in listing
    detail = admin_client.get(f"/admin/api/callbackdelivery/{delivery.pk}/change/").content.decode()
    assert "answered 503: down for maintenance" in detail
    keys = admin_client.get("/admin/workflow/idempotencyrecord/", {"q": "admin-key"}).content.decode()
    assert "admin-key" in keys and IdempotencyRecord.objects.get().order == order


def test_staff_cannot_add_or_change_them(admin_client):
    assert admin_client.get("/admin/api/callbackdelivery/add/").status_code == 403
    assert admin_client.get("/admin/workflow/idempotencyrecord/add/").status_code == 403

"""The Django admin, as staff use it: find an order, read its attempts, retry it."""

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from orders.models import Order, OrderStatus
from ..task_paths import STORE_ORDER_TASK

from ..factories import make_order

pytestmark = pytest.mark.django_db


def test_the_admin_needs_a_staff_login(client):
    response = client.get("/admin/orders/order/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_lists_orders_with_their_attempts(admin_client, menu):
    order = make_order(menu, customer_email="find.me@example.com")
    order.begin_attempt(now=timezone.now())
    order.attempts.create(number=1, due_at=timezone.now(), started_at=timezone.now())
    listing = admin_client.get("/admin/orders/order/", {"q": "find.me@example.com"}).content.decode()
    assert order.short_id in listing
    detail = admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Attempt" in detail and "In progress" in detail
    assert f"group=order+{order.public_id}" in detail  # link to its django-q2 tasks
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SENDING


def failed_order(menu, **fields):
    order = make_order(menu, attempt_limit=1, **fields)
    order.begin_attempt(now=timezone.now())
    order.fail(reason="the shop could not be reached after 1 attempts", now=timezone.now())
    return order


def test_the_retry_action_gives_failed_orders_a_fresh_budget_and_a_job(admin_client, menu, settings):
    failed = failed_order(menu)
    confirmed = make_order(menu)
    confirmed.begin_attempt(now=timezone.now())
    confirmed.confirm(shop_order_id="SHOP-1", now=timezone.now())

    response = admin_client.post(
        "/admin/orders/order/",
        {"action": "retry_failed", "_selected_action": [failed.pk, confirmed.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Retrying 1 order(s)." in page
    assert "Skipped 1 order(s) that were not failed." in page
    failed.refresh_from_db()
    assert failed.status == OrderStatus.RECEIVED and failed.attempts_left == settings.STORE_ORDER_MAX_ATTEMPTS
    jobs = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert [(job["func"], job["args"]) for job in jobs] == [(STORE_ORDER_TASK, (failed.pk,))]
    assert Order.objects.get(pk=confirmed.pk).status == OrderStatus.CONFIRMED


def test_orders_can_be_filtered_by_status(admin_client, menu):
    failed = failed_order(menu, customer_name="Failing Fiona")
    make_order(menu, customer_name="Waiting Walter")
    page = admin_client.get("/admin/orders/order/", {"status__exact": "failed"}).content.decode()
    assert "Failing Fiona" in page and "Waiting Walter" not in page
    assert failed.short_id in page


def test_the_django_q2_task_pages_are_there_for_staff(admin_client):
    for model in ("success", "failure", "schedule", "ormq"):
        assert admin_client.get(f"/admin/django_q/{model}/").status_code == 200


def test_the_order_page_shows_when_each_of_its_mails_went(admin_client, menu):
    # Found on main: the admin showed the confirmation and failure mails' times only.
    now = timezone.now()
    order = make_order(menu, status=OrderStatus.CANCELLED, cancelled_at=now, cancellation_email_sent_at=now)
    detail = admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Cancellation email sent at" in detail and "Too late email sent at" in detail

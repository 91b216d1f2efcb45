"""The shop changes its mind, in a real Chromium against the real stack: a confirmed order that the shop then
cancels reads "Cancelled by the shop" with its reason on the customer's page, and staff find it under
needs-attention. axe-core checks both pages."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from orders.models import Order as OrderRow
from orders.models import OrderStatus
from trainer.shop_control import ShopControl
from workflow.reconciliation import reconcile_with_shop

from ..support.waiting import wait_until
from .axe import assert_accessible
from .pages import Order, OrderForm, log_in

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

STAFF_PASSWORD = "a-long-staff-password-3"


def test_the_customer_and_staff_see_the_shop_s_cancellation(customer_page, staff_page, cluster, shop, smtp):
    get_user_model().objects.create_superuser("ops", "ops@asyncpizza.example", STAFF_PASSWORD)
    page = customer_page
    status = OrderForm(page).open().place(Order(email="changed.mind@example.com"))
    expect(status.in_status("confirmed")).to_be_visible(timeout=20_000)
    order = OrderRow.objects.get(customer_email="changed.mind@example.com")

    ShopControl().cancel_by_shop(str(order.idempotency_key), reason="the oven broke")
    reconcile_with_shop(grace=timedelta(0))  # what the cluster's minute sweep does
    page.reload()

    expect(status.in_status("cancelled")).to_be_visible()
    expect(status.step("Cancelled by the shop")).to_contain_text("the oven broke")
    expect(page.get_by_role("link", name="Cancel this order…")).to_have_count(0)
    assert_accessible(page)
    wait_until(lambda: len(smtp.messages_to("changed.mind@example.com")) == 2, timeout=20, message="the second mail")
    assert smtp.messages_to("changed.mind@example.com")[1]["Subject"].startswith("The shop cancelled your pizza order")

    staff_page.goto("/admin/")
    log_in(staff_page, username="ops", password=STAFF_PASSWORD)
    staff_page.goto("/admin/needs-attention/#shop_cancelled")
    section = staff_page.locator('[data-section="shop_cancelled"]')
    expect(section).to_have_attribute("data-count", "1")
    expect(section).to_contain_text("the shop cancelled it: the oven broke")
    assert_accessible(staff_page)
    assert OrderRow.objects.get(pk=order.pk).status == OrderStatus.CANCELLED

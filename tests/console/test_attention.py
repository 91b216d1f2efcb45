"""The needs-attention page: what is wrong, why, and the bulk actions with their confirmation page."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_q.models import Failure, OrmQ
from django_q.signing import SignedPackage

from api.models import CallbackDelivery, DeliveryState
from console.stuck import longest_honest_run, stuck_orders
from orders.models import Order, OrderStatus
from core.queue import task_group
from workflow.retry_policy import RetryPolicy
from workflow.start import retry_failed_order

from ..factories import make_order
from ..task_paths import SEND_STATUS_EMAIL_TASK, STORE_ORDER_TASK
from .helpers import aged, failed_order

pytestmark = pytest.mark.django_db

PAGE = "/admin/needs-attention/"
CONFIRM = "/admin/needs-attention/confirm/"


def queued_funcs():
    return [SignedPackage.loads(job.payload)["func"] for job in OrmQ.objects.all()]


def section(response, key):
    return next(s for s in response.context["sections"] if s.key == key)


def test_only_staff_see_it(client, menu):
    assert client.get(PAGE).status_code == 302 and "/admin/login/" in client.get(PAGE)["Location"]
    customer = get_user_model().objects.create_user("customer", password="a-long-password-1")
    client.force_login(customer)
    assert "/admin/login/" in client.get(PAGE)["Location"]
    assert client.post(CONFIRM, {"action": "retry"}).status_code == 302
    assert OrmQ.objects.count() == 0


def test_failed_orders_are_listed_with_why(admin_client, menu):
    order = failed_order(menu, email="broke@example.com")
    make_order(menu, customer_email="fine@example.com")  # received just now: neither failed nor stuck
    response = admin_client.get(PAGE)
    failed = section(response, "failed")
    assert failed.count == 1 and failed.rows[0].label == order.short_id
    assert "the shop could not be reached after 1 attempts" in failed.rows[0].cells
    page = response.content.decode()
    assert "broke@example.com" in page and "fine@example.com" not in page
    assert section(response, "stuck").count == 0


def test_stuck_orders_say_why_from_the_policy(admin_client, menu, settings):
    waiting = make_order(menu, customer_email="waiting@example.com")
    waiting.begin_attempt(now=timezone.now())
    waiting.wait_for_retry(at=timezone.now() - timedelta(minutes=5))
    sending = aged(make_order(menu), created_at=timedelta(minutes=1))
    sending.begin_attempt(now=timezone.now())
    sending = aged(sending, updated_at=timedelta(seconds=settings.Q_TASK_TIMEOUT_S + 5))
    just_placed = make_order(menu)
    policy = RetryPolicy.from_settings()
    long_ago = longest_honest_run(policy) + timedelta(minutes=1)
    ancient = aged(make_order(menu), created_at=long_ago, updated_at=long_ago)

    found = {s.order.pk: s for s in stuck_orders(policy=policy)}
    assert set(found) == {waiting.pk, sending.pk, ancient.pk}
    assert just_placed.pk not in found
    assert "its next attempt was due 5 min ago" in found[waiting.pk].reasons[0]
    assert f"longer than a task may run ({settings.Q_TASK_TIMEOUT_S} s)" in found[sending.pk].reasons[0]
    assert "the retry policy reaches a final status within" in found[ancient.pk].reasons[-1]
    assert "received" in found[ancient.pk].reasons[0]  # and no worker has started it

    page = admin_client.get(PAGE).content.decode()
    assert "its next attempt was due 5 min ago and has not started" in page


def test_an_admin_retry_restarts_the_policy_clock(menu):
    policy = RetryPolicy.from_settings()
    order = failed_order(menu, ago=longest_honest_run(policy) + timedelta(hours=1))
    retry_failed_order(order)
    reasons = [s.reasons for s in stuck_orders(policy=policy) if s.order.pk == order.pk]
    assert reasons == []  # received again just now: not stuck, although placed hours ago


def test_mails_notifications_and_task_failures_have_sections(admin_client, menu):
    confirmed = make_order(menu, customer_email="unmailed@example.com")
    confirmed.begin_attempt(now=timezone.now())
    confirmed.confirm(shop_order_id="SHOP-1", now=timezone.now() - timedelta(minutes=5))
    Failure.objects.create(id="f1", name="mail-task", func=SEND_STATUS_EMAIL_TASK, group=task_group(confirmed),
                           started=timezone.now(), stopped=timezone.now(), success=False, attempt_count=5,
                           result="Traceback...\nConnectionRefusedError: [Errno 111] Connection refused")
    CallbackDelivery.objects.create(order=confirmed, status="confirmed", url="https://client.example/hook", body="{}",
                                    state=DeliveryState.GAVE_UP, tries=8, max_tries=8, last_http_status=500)
    response = admin_client.get(PAGE)
    mails = section(response, "mails")
    assert [row.label for row in mails.rows] == [confirmed.short_id]
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in mails.rows[0].cells
    assert section(response, "notifications").rows[0].cells[-1] == "HTTP 500"
    assert section(response, "task_failures").rows[0].cells[-1].startswith("ConnectionRefusedError")


def test_bulk_retry_asks_first_then_retries_with_a_fresh_budget(admin_client, menu):
    failed = [failed_order(menu, email=f"f{i}@example.com") for i in range(2)]
    confirmed = make_order(menu)
    confirmed.begin_attempt(now=timezone.now())
    confirmed.confirm(shop_order_id="SHOP-2", now=timezone.now())
    selected = [str(o.pk) for o in [*failed, confirmed]]

    confirmation = admin_client.post(CONFIRM, {"action": "retry", "order": selected})
    assert confirmation.status_code == 200
    page = confirmation.content.decode()
    assert "Retry with a fresh budget of attempts" in page and "it is confirmed, not failed" in page
    assert Order.objects.filter(status=OrderStatus.FAILED).count() == 2  # nothing happened yet
    assert OrmQ.objects.count() == 0

    done = admin_client.post(CONFIRM, {"action": "retry", "order": selected, "confirmed": "yes"}, follow=True)
    assert "Retrying 2 order(s)." in done.content.decode()
    for order in failed:
        order.refresh_from_db()
        assert order.status == OrderStatus.RECEIVED and order.attempts_left == RetryPolicy.from_settings().max_attempts
    assert queued_funcs() == [STORE_ORDER_TASK, STORE_ORDER_TASK]

    again = admin_client.post(CONFIRM, {"action": "retry", "order": selected, "confirmed": "yes"}, follow=True)
    assert "Skipped 3 order(s)" in again.content.decode()  # a second click changes nothing
    assert len(queued_funcs()) == 2


def test_resend_mail_queues_only_unsent_mails(admin_client, menu):
    unsent = failed_order(menu, email="unsent@example.com")
    sent = failed_order(menu, email="sent@example.com")
    Order.objects.filter(pk=sent.pk).update(failure_email_sent_at=timezone.now())
    admin_client.post(CONFIRM, {"action": "resend_mail", "order": [unsent.pk, sent.pk], "confirmed": "yes"})
    jobs = [SignedPackage.loads(job.payload) for job in OrmQ.objects.all()]
    assert [(job["func"], job["args"]) for job in jobs] == [(SEND_STATUS_EMAIL_TASK, (unsent.pk, "failed"))]


def test_a_bad_action_is_a_clear_400(admin_client, menu):
    response = admin_client.post(CONFIRM, {"action": "drop_tables", "order": ["1"]})
    assert response.status_code == 400 and b"Unknown action" in response.content
    nothing = admin_client.post(CONFIRM, {"action": "retry"}, follow=True)
    assert "Select at least one order first." in nothing.content.decode()


def test_odd_order_ids_select_nothing_instead_of_a_500(admin_client, menu):
    order = failed_order(menu)
    # Too large for the database's integer, not digits, or digits of another script (int("１") is 1).
    odd = ["99999999999999999999999", "-1", "abc", "", "１"]
    response = admin_client.post(CONFIRM, {"action": "retry", "order": odd})
    assert response.status_code == 200
    assert response.context["plan"].applies == [] and response.context["plan"].skipped == []
    done = admin_client.post(CONFIRM, {"action": "retry", "order": odd, "confirmed": "yes"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and OrmQ.objects.count() == 0


def test_the_bulk_actions_need_the_permission_to_change_orders(client, menu):
    from django.contrib.auth.models import Permission

    order = failed_order(menu)
    viewer = get_user_model().objects.create_user("viewer", password="a-long-password-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order", content_type__app_label="orders"))
    client.force_login(viewer)
    page = client.get(PAGE)
    assert page.status_code == 200 and order.short_id in page.content.decode()  # may look
    assert b'type="checkbox"' not in page.content and b'name="action"' not in page.content  # offered nothing
    for confirmed in ("", "yes"):
        response = client.post(CONFIRM, {"action": "retry", "order": [order.pk], "confirmed": confirmed})
        assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and OrmQ.objects.count() == 0
    # Nor from the order list's own action.
    client.post("/admin/orders/order/", {"action": "retry_failed", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and OrmQ.objects.count() == 0


def test_staff_without_any_order_permission_see_no_orders_there(client, menu):
    failed_order(menu, email="private@example.com")
    bare = get_user_model().objects.create_user("bare", password="a-long-password-1", is_staff=True)
    client.force_login(bare)
    response = client.get(PAGE)
    assert response.status_code == 403
    assert b"private@example.com" not in response.content

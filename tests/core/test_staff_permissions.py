"""Least privilege for staff: running the trainer, reading the mailbox and reading /metrics in a session each
need a permission of their own. One test per role: staff who may only view orders, a trainer (the group
"Trainers" that `prepare` creates), a superuser, anonymous. Refusals are 403 with a page naming what is missing."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from trainer.access import TRAINERS_GROUP, ensure_trainers_group
from workflow.engine_policy import current_policy
from workflow.models import current_store_mode

pytestmark = pytest.mark.django_db

# Every trainer control, with a valid body: applied if let through.
TRAINER_POSTS = [
    ("/trainer/mode/", {"store_mode": "sync"}),
    ("/trainer/scenario/", {"scenario": "down"}),
    ("/trainer/knobs/", {"failure_rate": "1", "latency_s": "0", "lost_response_rate": "0", "mode": "sync"}),
    ("/trainer/policy/", {"max_attempts": "2", "backoff_s": "1", "backoff_cap_s": "2", "shop_timeout_s": "1",
                          "callback_deadline_s": "5"}),
    ("/trainer/batch/", {"count": "3"}),
]
TRAINER_PAGES = ["/trainer/", "/trainer/figures/", "/trainer/diagram/"]
NO_TRAINER = "Running the trainer needs the permission “Can run the trainer” (trainer.run_trainer)"


def staff(username: str, *permissions: str, groups=()):
    user = get_user_model().objects.create_user(username, password="pw-for-tests-only", is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    user.groups.add(*groups)
    return user


def nothing_applied(before_mode: str, before_policy) -> bool:
    from orders.models import Order

    return current_store_mode() == before_mode and current_policy() == before_policy and Order.objects.count() == 0


def test_staff_who_may_only_view_orders_read_the_mailbox_but_may_not_run_the_trainer_nor_read_metrics(client, menu):
    client.force_login(staff("viewer", "orders.view_order"))
    mode, policy = current_store_mode(), current_policy()
    for url, body in TRAINER_POSTS:
        response = client.post(url, body)
        assert response.status_code == 403, url
        assert NO_TRAINER in response.content.decode() and "Trainers" in response.content.decode()
    for url in TRAINER_PAGES:
        assert client.get(url).status_code == 403, url
    assert nothing_applied(mode, policy)
    assert client.get("/mailbox/").status_code == 200
    metrics = client.get("/metrics")
    assert metrics.status_code == 403
    assert "Reading the metrics needs the permission “Can read the metrics” (console.view_metrics)" in metrics.content.decode()


def test_a_trainer_runs_the_trainer_but_reads_neither_the_mail_nor_the_metrics(client, menu):
    client.force_login(staff("trainer", groups=[ensure_trainers_group()]))
    assert client.get("/trainer/").status_code == 200
    assert client.post("/trainer/mode/", {"store_mode": "sync"}).status_code == 302
    assert current_store_mode() == "sync"
    mailbox = client.get("/mailbox/")
    assert mailbox.status_code == 403
    assert "Reading the mailbox needs the permission “Can view order” (orders.view_order)" in mailbox.content.decode()
    assert client.get("/metrics").status_code == 403


def test_a_superuser_may_do_all_three(admin_client, menu):
    assert admin_client.get("/trainer/").status_code == 200
    assert admin_client.post("/trainer/mode/", {"store_mode": "sync"}).status_code == 302
    assert current_store_mode() == "sync"
    assert admin_client.get("/mailbox/").status_code == 200
    assert admin_client.get("/metrics").status_code == 200


def test_anonymous_is_sent_to_the_login_and_metrics_want_a_token(client, menu, settings):
    mode, policy = current_store_mode(), current_policy()
    for url, body in TRAINER_POSTS:
        assert client.post(url, body)["Location"].startswith("/admin/login/"), url
    assert nothing_applied(mode, policy)
    assert client.get("/mailbox/")["Location"].startswith("/admin/login/")
    assert client.get("/metrics").status_code == 401
    settings.METRICS_TOKEN = "token-for-prometheus"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer token-for-prometheus").status_code == 200


def test_staff_granted_the_metrics_permission_read_them(client):
    client.force_login(staff("watcher", "console.view_metrics"))
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db(databases=["default", "shop"])  # prepare migrates the shop's database too
def test_prepare_creates_the_trainers_group_with_the_permission(menu):
    call_command("prepare", verbosity=0)
    call_command("prepare", verbosity=0)  # safe to repeat
    group = Group.objects.get(name=TRAINERS_GROUP)
    assert [p.codename for p in group.permissions.all()] == ["run_trainer"]
    member = staff("new-trainer", groups=[group])
    assert member.has_perm("trainer.run_trainer") and not member.has_perm("orders.view_order")

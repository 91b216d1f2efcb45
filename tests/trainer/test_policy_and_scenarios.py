"""The policy on the trainer page, and the scenarios that set the policy they need."""

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from workflow.engine_policy import current_policy, default_policy, set_policy

pytestmark = pytest.mark.django_db

VALID = {"max_attempts": "7", "backoff_s": "2", "backoff_cap_s": "30", "shop_timeout_s": "4", "callback_deadline_s": "20"}


def test_changing_the_policy_needs_a_staff_login(client):
    response = client.post("/trainer/policy/", VALID)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert current_policy() == default_policy()


def test_the_policy_form_changes_the_live_policy(admin_client):
    page = admin_client.get("/trainer/").content.decode()
    assert f'name="max_attempts" value="{django_settings.STORE_ORDER_MAX_ATTEMPTS}"' in page  # starts from the defaults
    response = admin_client.post("/trainer/policy/", VALID, follow=True)
    assert "Policy: 7 attempts, first wait 2 s doubling up to 30 s" in response.content.decode()
    policy = current_policy()
    assert (policy.max_attempts, policy.backoff_s, policy.backoff_cap_s, policy.shop_timeout_s, policy.callback_deadline_s) == (7, 2, 30, 4, 20)


def test_an_impossible_policy_is_shown_beside_its_fields_and_changes_nothing(admin_client):
    response = admin_client.post("/trainer/policy/", {**VALID, "backoff_cap_s": "1", "shop_timeout_s": "900"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_backoff_cap_s_error"' in page and "cannot be shorter than the first one" in page
    assert 'id="id_shop_timeout_s_error"' in page and "SHOP_TIMEOUT_MAX_S" in page
    assert 'aria-describedby="id_shop_timeout_s_error"' in page
    assert 'value="900"' in page  # the input is kept
    assert current_policy() == default_policy()


def test_slow_sets_a_shop_timeout_above_the_shops_30_s_and_happy_restores_the_defaults(shop, settings, capsys):
    settings.SHOP_TIMEOUT_MAX_S = 60  # the demo's (the tests' cluster is sized for 5 s)
    call_command("scenario", "slow")
    assert shop.settings()["latency_s"] == 30 and current_policy().shop_timeout_s > 30
    assert "shop timeout 40 s" in capsys.readouterr().out
    call_command("scenario", "happy")
    assert current_policy() == default_policy()


def test_down_fails_orders_within_seconds(shop):
    call_command("scenario", "down")
    policy = current_policy()
    assert shop.settings()["down"] is True
    assert policy.retry.shortest_window_s() < 15 and policy.max_attempts == 4


def test_a_scenario_the_running_cluster_cannot_take_changes_nothing(shop):
    # The tests' cluster accepts shop timeouts up to 5 s; slow needs 40 s.
    set_policy(max_attempts=9)
    with pytest.raises(CommandError, match="SHOP_TIMEOUT_MAX_S"):
        call_command("scenario", "slow")
    assert shop.settings()["latency_s"] == 0 and current_policy().max_attempts == 9


def test_lunch_rush_sends_twenty_customers_against_a_5_s_shop(admin_client, shop, settings):
    settings.SHOP_TIMEOUT_MAX_S = 60  # the demo's
    admin_client.post("/trainer/scenario/", {"scenario": "lunch-rush"})
    assert shop.settings()["latency_s"] == 5
    jobs = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert [job["func"] for job in jobs] == ["trainer.tasks.place_made_up_order_task"] * 20
    assert current_policy().shop_timeout_s == 10 and current_policy().max_attempts == default_policy().max_attempts

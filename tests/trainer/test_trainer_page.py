"""The trainer's page: staff only; the switch, the scenarios, the knobs and the batch do what they say."""

import pytest
from django.core.management import call_command
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from orders.models import StoreMode
from workflow.models import current_store_mode

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/trainer/", "/trainer/figures/", "/trainer/diagram/"])
def test_the_trainer_pages_need_a_staff_login(client, django_user_model, path):
    assert "/admin/login/" in client.get(path)["Location"]
    customer = django_user_model.objects.create_user("customer", password="not-staff-1234")
    client.force_login(customer)
    assert "/admin/login/" in client.get(path)["Location"]


def test_the_trainer_actions_need_a_staff_login_too(client):
    response = client.post("/trainer/mode/", {"store_mode": "sync"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert current_store_mode() == StoreMode.ASYNC


def test_the_page_shows_the_switch_the_scenarios_and_the_shops_knobs(admin_client, shop):
    shop.configure(failure_rate=0.25)
    page = admin_client.get("/trainer/").content.decode()
    assert 'value="async"' in page and "checked" in page
    for title in ("Happy path", "Unreliable shop", "Slow shop (30 s a call)", "Shop down", "Lost responses", "Callback"):
        assert title in page
    assert 'name="failure_rate" value="0.25"' in page
    assert 'hx-trigger="every 2s"' in page


def test_the_switch_is_kept_in_the_database(admin_client):
    admin_client.post("/trainer/mode/", {"store_mode": "sync"})
    assert current_store_mode() == StoreMode.SYNC
    assert "now runs synchronously" in admin_client.get("/trainer/").content.decode()


def test_a_scenario_sets_every_knob_at_the_shop(admin_client, shop):
    shop.configure(down=True)
    admin_client.post("/trainer/scenario/", {"scenario": "unreliable"})
    assert shop.settings() == {**shop.settings(), "failure_rate": 0.2, "down": False, "latency_s": 0.0}


def test_a_bad_knob_is_shown_beside_its_field_and_changes_nothing(admin_client, shop):
    response = admin_client.post(
        "/trainer/knobs/", {"failure_rate": "1.5", "latency_s": "0", "lost_response_rate": "0", "seed": "", "mode": "sync"}
    )
    page = response.content.decode()
    assert 'id="id_failure_rate_error"' in page and "less than or equal to 1" in page
    assert shop.settings()["failure_rate"] == 0.0


def test_knobs_are_set_at_the_shop(admin_client, shop):
    admin_client.post(
        "/trainer/knobs/",
        {"failure_rate": "0.5", "latency_s": "2", "lost_response_rate": "0.1", "down": "on", "seed": "9", "mode": "callback"},
    )
    knobs = {"failure_rate": 0.5, "latency_s": 2.0, "lost_response_rate": 0.1, "down": True, "seed": 9, "mode": "callback"}
    assert {name: shop.settings()[name] for name in knobs} == knobs


def test_a_latency_past_the_apps_timeout_is_pointed_out(admin_client, shop, settings):
    shop.configure(latency_s=settings.SHOP_TIMEOUT_S + 1)
    assert "every call will time out" in admin_client.get("/trainer/").content.decode()


def test_the_page_says_so_when_the_shop_is_unreachable(admin_client, settings):
    settings.SHOP_URL = "http://127.0.0.1:9"
    page = admin_client.get("/trainer/").content.decode()
    assert "does not answer" in page


def test_a_batch_queues_one_task_per_made_up_customer(admin_client):
    admin_client.post("/trainer/batch/", {"count": "7"})
    jobs = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert [job["func"] for job in jobs] == ["trainer.tasks.place_made_up_order_task"] * 7
    assert len({job["args"] for job in jobs}) == 7


def test_a_batch_size_out_of_range_is_refused(admin_client):
    page = admin_client.post("/trainer/batch/", {"count": "500"}).content.decode()
    assert "less than or equal to 50" in page
    assert OrmQ.objects.count() == 0


def test_the_commands_switch_and_set_scenarios(shop, capsys):
    call_command("storemode", "sync")
    assert current_store_mode() == StoreMode.SYNC
    call_command("scenario", "lost-responses")
    assert shop.settings()["lost_response_rate"] == 0.3
    call_command("scenario", "callback")
    assert shop.settings()["mode"] == "callback"
    call_command("scenario", "happy")
    assert shop.settings()["lost_response_rate"] == 0.0 and shop.settings()["mode"] == "sync"
    assert "Scenario: Happy path" in capsys.readouterr().out


def test_an_unknown_scenario_name_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("scenario", "apocalypse")

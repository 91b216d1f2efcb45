"""/metrics: Prometheus's text format, for staff or a bearer token, with values read from the database."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from workflow.models import AttemptOutcome

from ..factories import make_order
from .helpers import failed_order

pytestmark = pytest.mark.django_db


def samples(response) -> dict:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_no_credentials_no_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401  # unset token opens nothing
    customer = get_user_model().objects.create_user("customer", password="a-long-password-1")
    client.force_login(customer)
    assert client.get("/metrics").status_code == 401


def test_a_bearer_token_or_a_staff_session(client, admin_client, settings):
    settings.METRICS_TOKEN = "s3cret-token-for-prometheus"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token-for-prometheus").status_code == 401
    samples(client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus"))
    samples(admin_client.get("/metrics"))


def test_the_figures_are_the_databases(admin_client, menu):
    failed_order(menu)  # one attempt, transient error; failed after 0 s
    t0 = timezone.now() - timedelta(seconds=40)
    confirmed = make_order(menu, created_at=t0)
    confirmed.begin_attempt(now=t0)
    confirmed.attempts.create(number=1, due_at=t0, started_at=t0, finished_at=t0, outcome=AttemptOutcome.ACCEPTED)
    confirmed.confirm(shop_order_id="SHOP-3", now=t0 + timedelta(seconds=40))
    make_order(menu)

    found = samples(admin_client.get("/metrics"))
    assert found[("asyncpizza_orders", (("status", "received"),))] == 1
    assert found[("asyncpizza_orders", (("status", "confirmed"),))] == 1
    assert found[("asyncpizza_orders", (("status", "failed"),))] == 1
    assert found[("asyncpizza_store_attempts_total", (("outcome", "transient_error"),))] == 1
    assert found[("asyncpizza_store_attempts_total", (("outcome", "accepted"),))] == 1
    confirmed_hist = ("status", "confirmed")
    assert found[("asyncpizza_time_to_final_seconds_count", (confirmed_hist,))] == 1
    assert found[("asyncpizza_time_to_final_seconds_bucket", (("le", "30.0"), confirmed_hist))] == 0
    assert found[("asyncpizza_time_to_final_seconds_bucket", (("le", "60.0"), confirmed_hist))] == 1
    assert 39 < found[("asyncpizza_time_to_final_seconds_sum", (confirmed_hist,))] < 42
    assert found[("asyncpizza_queue_depth", ())] == 0  # make_order queues nothing
    assert found[("asyncpizza_workers_alive", ())] == 0  # no cluster in this test
    assert found[("asyncpizza_mails_pending", ())] == 2  # the confirmed and the failed order's mails
    assert found[("asyncpizza_notifications", (("state", "pending"),))] == 0


def test_the_attempts_counter_never_goes_down_as_attempts_finish(admin_client, menu):
    """A counter that drops is read by Prometheus as a restart (rate() jumps): an attempt still under way
    is a gauge of its own, and the counter counts attempts once they have an outcome."""
    order = make_order(menu)
    now = timezone.now()
    order.begin_attempt(now=now)
    attempt = order.attempts.create(number=1, due_at=now, started_at=now)  # in progress
    before = samples(admin_client.get("/metrics"))
    assert before[("asyncpizza_store_attempts_in_progress", ())] == 1
    attempt.finish(outcome=AttemptOutcome.ACCEPTED, now=timezone.now(), http_status=201)
    after = samples(admin_client.get("/metrics"))
    counter = [key for key in before if key[0] == "asyncpizza_store_attempts_total"]
    assert counter and all(after.get(key, 0) >= before[key] for key in counter)
    assert after[("asyncpizza_store_attempts_total", (("outcome", "accepted"),))] == 1
    assert after[("asyncpizza_store_attempts_in_progress", ())] == 0

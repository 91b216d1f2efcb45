"""Per attempt: the error's type, message and a bounded traceback when our code (or a library under it)
raised; for the shop's answers, the HTTP status and the start of the body. Against the real shop."""

import pytest
import requests

from orders.models import OrderStatus
from workflow.diagnostics import BODY_LIMIT, TRACEBACK_LIMIT, bounded_traceback
from workflow.models import AttemptOutcome
from workflow.retry_policy import RetryPolicy
from workflow.shop_client import ShopClient, ShopUnavailable, classify_response
from workflow.attempt import store_order

from ..factories import make_order

pytestmark = pytest.mark.django_db
POLICY = RetryPolicy(max_attempts=3, base_delay_s=5, max_delay_s=60, jitter=0)


def test_a_shop_error_keeps_its_status_and_the_start_of_its_answer(menu, shop, shop_client, admin_client):
    shop.configure(failure_rate=1.0)
    order = make_order(menu)
    attempt = store_order(order.pk, client=shop_client, policy=POLICY)
    assert attempt.outcome == AttemptOutcome.TRANSIENT_ERROR and attempt.http_status == 503
    assert attempt.error_type == "workflow.shop_client.ShopUnavailable"
    assert attempt.response_body.startswith("{") and "error" in attempt.response_body  # the shop's JSON
    assert attempt.traceback == ""  # an answer, not a crash

    inline = admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "workflow.shop_client.ShopUnavailable" in inline and "Attempt 1: traceback and answer" in inline
    page = admin_client.get(f"/admin/workflow/storeattempt/{attempt.pk}/change/").content.decode()
    assert "start of the shop&#x27;s answer" in page.lower() or "start of the shop's answer" in page.lower()
    assert "503" in page


def test_an_acceptance_keeps_the_start_of_the_answer(menu, shop, shop_client):
    attempt = store_order(make_order(menu).pk, client=shop_client, policy=POLICY)
    assert attempt.outcome == AttemptOutcome.ACCEPTED and '"shop_order_id"' in attempt.response_body


def test_a_timeout_keeps_the_library_error_and_its_traceback(menu, shop):
    shop.configure(latency_s=1.5)
    impatient = ShopClient(shop.url, connect_timeout_s=1, read_timeout_s=0.5)
    attempt = store_order(make_order(menu).pk, client=impatient, policy=POLICY)
    assert attempt.error_type == "workflow.shop_client.ShopUnavailable (from requests.exceptions.ReadTimeout)"
    assert "requests.exceptions.ReadTimeout" in attempt.traceback and "place_order" in attempt.traceback
    assert attempt.response_body == ""


def test_a_bug_in_our_code_is_kept_with_its_traceback_and_retried(menu, shop, shop_client, monkeypatch, admin_client):
    def broken_payload(order):
        return {"items": []}["customer"]  # a KeyError, as a bug would raise

    monkeypatch.setattr("workflow.attempt.shop_payload", broken_payload)
    order = make_order(menu)
    attempt = store_order(order.pk, client=shop_client, policy=POLICY)
    assert attempt.outcome == AttemptOutcome.TRANSIENT_ERROR
    assert attempt.error_type == "workflow.shop_client.ShopUnavailable (from KeyError)"
    assert "unexpected error in our code: KeyError: 'customer'" in attempt.error
    assert "broken_payload" in attempt.traceback and "KeyError: 'customer'" in attempt.traceback
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_RETRY  # nothing lost: the next attempt is scheduled
    page = admin_client.get(f"/admin/workflow/storeattempt/{attempt.pk}/change/").content.decode()
    assert "broken_payload" in page and "<pre" in page


def test_the_body_and_the_traceback_are_bounded():
    made = requests.Response()
    made.status_code = 503
    made._content = ("x" * 50_000).encode()
    with pytest.raises(ShopUnavailable) as caught:
        classify_response(made)
    assert len(caught.value.body) == BODY_LIMIT + 1 and caught.value.body.endswith("…")

    def deep(n):
        if n == 0:
            raise ValueError("bottom " + "y" * 20_000)
        deep(n - 1)

    try:
        deep(200)
    except ValueError as error:
        text = bounded_traceback(error)
    assert len(text) < TRACEBACK_LIMIT + 100
    assert text.startswith("[…") and text.rstrip().endswith("y")  # the end, where the error is, is kept



@pytest.mark.django_db
def test_a_nul_character_in_an_answer_or_an_error_is_not_kept_as_one(menu):
    """PostgreSQL refuses NUL in text columns: an answer or an error message carrying one would make the
    attempt unrecordable there (the task raises, the attempt stays in progress)."""
    from django.utils import timezone

    from workflow.diagnostics import attempt_details

    order = make_order(menu)
    now = timezone.now()
    order.begin_attempt(now=now)
    attempt = order.attempts.create(number=1, due_at=now, started_at=now)
    try:
        raise ValueError("bad\x00byte")
    except ValueError as error:
        details = attempt_details(error=error, body=b'{"error": "nul\x00here"}')
        attempt.finish(outcome=AttemptOutcome.TRANSIENT_ERROR, now=now, error=str(error), details=details)
    attempt.refresh_from_db()
    kept = [attempt.error, attempt.error_type, attempt.traceback, attempt.response_body]
    assert all("\x00" not in value for value in kept)
    assert attempt.error == "bad\ufffdbyte" and "nul\ufffdhere" in attempt.response_body

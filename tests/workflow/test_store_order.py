"""The store-order step, called directly (no cluster), against the real shop simulator over HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from orders.models import Order, OrderStatus
from ..task_paths import SEND_STATUS_EMAIL_TASK, STORE_ORDER_TASK
from workflow.models import AttemptOutcome
from workflow.retry_policy import RetryPolicy
from workflow.shop_client import ShopClient
from workflow.attempt import claim_attempt, store_order
from workflow.start import retry_failed_order

from ..factories import make_order

pytestmark = pytest.mark.django_db
POLICY = RetryPolicy(max_attempts=3, base_delay_s=5, max_delay_s=60, jitter=0)


def queued(func):
    return [job for job in (SignedPackage.loads(row.payload) for row in OrmQ.objects.all()) if job["func"] == func]


def test_a_healthy_shop_confirms_on_the_first_attempt(menu, shop, shop_client):
    order = make_order(menu)
    attempt = store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert attempt.outcome == AttemptOutcome.ACCEPTED and attempt.http_status == 201
    ledger = shop.ledger()
    assert [entry["idempotency_key"] for entry in ledger] == [str(order.idempotency_key)]
    assert order.shop_order_id == ledger[0]["shop_order_id"]
    assert [job["args"] for job in queued(SEND_STATUS_EMAIL_TASK)] == [(order.pk, "confirmed")]


def test_a_shop_error_schedules_the_next_attempt_without_holding_a_worker(menu, shop, shop_client):
    shop.configure(failure_rate=1.0)
    order = make_order(menu)
    before = timezone.now()
    attempt = store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    assert attempt.outcome == AttemptOutcome.TRANSIENT_ERROR and attempt.http_status == 503
    assert order.status == OrderStatus.WAITING_RETRY
    assert before + timedelta(seconds=5) <= order.next_attempt_at <= timezone.now() + timedelta(seconds=5)
    schedule = Schedule.objects.get(func=STORE_ORDER_TASK)
    assert schedule.next_run == order.next_attempt_at and schedule.schedule_type == Schedule.ONCE
    assert shop.ledger() == []


def test_an_attempt_that_is_not_due_yet_does_nothing(menu, shop, shop_client):
    shop.configure(failure_rate=1.0)
    order = make_order(menu)
    store_order(order.pk, client=shop_client, policy=POLICY)
    assert store_order(order.pk, client=shop_client, policy=POLICY) is None  # an early duplicate
    assert Order.objects.get(pk=order.pk).attempts_made == 1


def test_after_the_last_attempt_the_order_fails_cleanly(menu, shop, shop_client):
    shop.configure(down=True)
    order = make_order(menu, attempt_limit=2)
    store_order(order.pk, client=shop_client, policy=POLICY)
    Order.objects.filter(pk=order.pk).update(next_attempt_at=timezone.now())  # skip the wait
    store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert order.failure_reason == "the shop could not be reached after 2 attempts"
    assert [(a.outcome, a.http_status) for a in order.attempts.all()] == [(AttemptOutcome.TRANSIENT_ERROR, 503)] * 2
    assert [job["args"] for job in queued(SEND_STATUS_EMAIL_TASK)] == [(order.pk, "failed")]
    assert store_order(order.pk, client=shop_client, policy=POLICY) is None  # final: nothing more


def test_a_lost_answer_is_repeated_under_the_same_key_and_places_one_order(menu, shop, shop_client):
    shop.configure(lost_response_rate=1.0)
    order = make_order(menu)
    first = store_order(order.pk, client=shop_client, policy=POLICY)
    assert first.outcome == AttemptOutcome.TRANSIENT_ERROR and first.http_status is None
    assert len(shop.ledger()) == 1  # the shop did take it, we just never heard

    shop.configure(lost_response_rate=0.0)
    Order.objects.filter(pk=order.pk).update(next_attempt_at=timezone.now())
    second = store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    ledger = shop.ledger()
    assert second.http_status == 200  # "already accepted": the repeat placed nothing new
    assert order.status == OrderStatus.CONFIRMED
    assert len(ledger) == 1 and ledger[0]["received"] == 2
    assert order.shop_order_id == ledger[0]["shop_order_id"]


def test_a_slow_shop_past_the_timeout_is_a_transient_error(menu, shop):
    shop.configure(latency_s=1.5)
    impatient = ShopClient(shop.url, connect_timeout_s=1, read_timeout_s=0.5)
    order = make_order(menu)
    attempt = store_order(order.pk, client=impatient, policy=POLICY)
    assert attempt.outcome == AttemptOutcome.TRANSIENT_ERROR
    assert "did not answer in time" in attempt.error


def test_an_unreachable_shop_is_a_transient_error(menu, db):
    nowhere = ShopClient("http://127.0.0.1:9", connect_timeout_s=1, read_timeout_s=1)
    order = make_order(menu)
    attempt = store_order(order.pk, client=nowhere, policy=POLICY)
    assert attempt.outcome == AttemptOutcome.TRANSIENT_ERROR
    assert "could not reach the shop" in attempt.error


def test_a_rejection_fails_at_once_without_retrying(menu, shop):
    # The shop answers 404 to a wrong address: a client error that no retry can mend.
    misconfigured = ShopClient(f"{shop.url}/no-such-api", connect_timeout_s=1, read_timeout_s=2)
    order = make_order(menu, attempt_limit=3)
    attempt = store_order(order.pk, client=misconfigured, policy=POLICY)
    order.refresh_from_db()
    assert attempt.outcome == AttemptOutcome.REJECTED and attempt.http_status == 404
    assert order.status == OrderStatus.FAILED and order.attempts_made == 1
    assert order.failure_reason == "the shop refused the order (HTTP 404)"
    assert not Schedule.objects.filter(func=STORE_ORDER_TASK).exists()


def test_only_one_of_two_duplicate_runs_claims_the_attempt(menu):
    order = make_order(menu)
    assert claim_attempt(order.pk) is not None
    assert claim_attempt(order.pk) is None  # the attempt is live in "another worker"
    assert Order.objects.get(pk=order.pk).attempts.count() == 1


def test_an_attempt_whose_worker_died_is_taken_over_under_the_same_key(menu, shop, shop_client, settings):
    order = make_order(menu)
    lost = claim_attempt(order.pk)
    long_ago = timezone.now() - timedelta(seconds=settings.Q_TASK_TIMEOUT_S + 1)
    type(lost).objects.filter(pk=lost.pk).update(started_at=long_ago)

    attempt = store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    lost.refresh_from_db()
    assert lost.outcome == AttemptOutcome.INTERRUPTED
    assert attempt.number == 2 and order.status == OrderStatus.CONFIRMED


def test_an_admin_retry_gives_a_fresh_budget_and_queues_one_job(menu, shop, shop_client):
    shop.configure(down=True)
    order = make_order(menu, attempt_limit=1)
    store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    OrmQ.objects.all().delete()

    retry_failed_order(order, policy=POLICY)
    assert order.status == OrderStatus.RECEIVED and order.attempts_left == 3
    assert [job["args"] for job in queued(STORE_ORDER_TASK)] == [(order.pk,)]
    shop.configure(down=False)
    store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.attempts_made == 2


def test_out_of_attempts_the_app_asks_the_shop_before_failing_and_finds_it_accepted(menu, shop, shop_client):
    # Every answer is lost, but the shop did take the order: the customer must not be told it failed.
    shop.configure(lost_response_rate=1.0)
    order = make_order(menu, attempt_limit=2)
    store_order(order.pk, client=shop_client, policy=POLICY)
    Order.objects.filter(pk=order.pk).update(next_attempt_at=timezone.now())
    store_order(order.pk, client=shop_client, policy=POLICY)
    order.refresh_from_db()
    [entry] = shop.ledger()
    assert order.status == OrderStatus.CONFIRMED and order.shop_order_id == entry["shop_order_id"]
    assert "asked first: the shop has accepted it" in order.events.last().engine_did
    assert [job["args"] for job in queued(SEND_STATUS_EMAIL_TASK)] == [(order.pk, "confirmed")]


def test_a_lost_last_attempt_is_settled_by_asking_the_shop(menu, shop, shop_client, settings):
    from tests.task_paths import CALLBACK_DEADLINE_TASK

    order = make_order(menu, attempt_limit=1)
    lost = claim_attempt(order.pk)
    long_ago = timezone.now() - timedelta(seconds=settings.Q_TASK_TIMEOUT_S + 1)
    type(lost).objects.filter(pk=lost.pk).update(started_at=long_ago)

    assert store_order(order.pk, client=shop_client, policy=POLICY) is None
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_CALLBACK  # not failed: the shop is asked first, at once
    assert Schedule.objects.filter(func=CALLBACK_DEADLINE_TASK).count() == 1


def test_an_attempt_overtaken_by_the_shops_callback_keeps_what_it_saw(menu, shop, shop_client, monkeypatch):
    order = make_order(menu)
    real_place_order = shop_client.place_order

    def call_while_the_callback_lands(payload, *, idempotency_key, **options):
        receipt = real_place_order(payload, idempotency_key=idempotency_key, **options)
        landed = Order.objects.get(pk=order.pk)  # meanwhile, the webhook confirms the order
        landed.confirm(shop_order_id=receipt.shop_order_id, now=timezone.now())
        return receipt

    monkeypatch.setattr(shop_client, "place_order", call_while_the_callback_lands)
    attempt = store_order(order.pk, client=shop_client, policy=POLICY)
    attempt.refresh_from_db()
    assert attempt.outcome == AttemptOutcome.ACCEPTED and attempt.finished_at is not None
    assert "settled while this call was in flight" in attempt.error
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED

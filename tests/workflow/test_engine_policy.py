"""The engine's live policy: kept in the database, used by the next attempt, refused when it cannot run,
and carried to django-q2 as each store-order task's own timeout."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from orders.models import OrderStatus
from workflow.attempt import claim_attempt, store_order
from workflow.engine_policy import (
    PolicyRefused,
    current_policy,
    current_retry_policy,
    default_policy,
    reset_policy,
    set_policy,
    task_timeout_s,
)
from workflow.attempt import enqueue_store_order, schedule_store_order
from workflow.models import AttemptOutcome, StoreAttempt
from workflow.recovery import stalled_orders
from workflow.retry_policy import RetryPolicy
from workflow.attempt import store_order_task

from ..factories import make_order
from ..task_paths import STORE_ORDER_TASK

pytestmark = pytest.mark.django_db


def queued_store_jobs():
    return [job for job in (SignedPackage.loads(row.payload) for row in OrmQ.objects.all()) if job["func"] == STORE_ORDER_TASK]


def test_the_policy_starts_from_the_environments_defaults():
    policy = current_policy()
    assert policy == default_policy()
    assert (policy.max_attempts, policy.backoff_s, policy.backoff_cap_s, policy.shop_timeout_s) == (
        settings.STORE_ORDER_MAX_ATTEMPTS, settings.STORE_ORDER_BACKOFF_S, settings.STORE_ORDER_BACKOFF_CAP_S,
        settings.SHOP_TIMEOUT_S,
    )


def test_a_change_is_kept_and_the_defaults_come_back_on_reset():
    set_policy(max_attempts=7, callback_deadline_s=12)
    assert (current_policy().max_attempts, current_policy().callback_deadline_s) == (7, 12)
    assert current_policy().backoff_s == settings.STORE_ORDER_BACKOFF_S  # untouched fields keep the default
    assert reset_policy() == default_policy()


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"backoff_s": 10, "backoff_cap_s": 5}, "backoff_cap_s", "cannot be shorter than the first one"),
        ({"shop_timeout_s": 500}, "shop_timeout_s", "the longest call the running worker cluster was sized for"),
        ({"shop_timeout_s": 0.1}, "shop_timeout_s", "at least"),
        ({"max_attempts": 0}, "max_attempts", "between 1 and"),
        ({"callback_deadline_s": 0}, "callback_deadline_s", "between 1 and"),
    ],
)
def test_a_policy_that_cannot_run_is_refused_and_changes_nothing(changes, field, words):
    before = current_policy()
    with pytest.raises(PolicyRefused) as refusal:
        set_policy(**changes)
    assert words in refusal.value.errors[field]
    assert current_policy() == before


def test_every_accepted_shop_timeout_keeps_djangos_retry_above_the_tasks_timeout():
    """django-q2: `retry` must stay above `timeout`, and a pulled task may wait one timeout to start."""
    largest = task_timeout_s(settings.SHOP_TIMEOUT_MAX_S)
    assert largest <= settings.Q_TASK_TIMEOUT_S and settings.Q_TASK_RETRY_S > 2 * largest


def test_the_default_retry_window_outlasts_a_five_minute_outage():
    defaults = RetryPolicy(max_attempts=13, base_delay_s=1, max_delay_s=60)  # the settings' defaults
    assert defaults.shortest_window_s() >= 300
    assert RetryPolicy(max_attempts=12, base_delay_s=1, max_delay_s=60).shortest_window_s() < 300  # 13 is the least


def test_the_next_attempt_uses_a_longer_shop_timeout_without_a_restart(menu, shop):
    shop.configure(latency_s=1.2)
    set_policy(shop_timeout_s=0.6)
    first = store_order(make_order(menu).pk)
    assert first.outcome == AttemptOutcome.TRANSIENT_ERROR  # the shop took longer than the policy allows
    set_policy(shop_timeout_s=2.5)
    second = store_order(make_order(menu).pk)
    assert second.outcome == AttemptOutcome.ACCEPTED
    assert second.task_timeout_s == task_timeout_s(2.5)


def test_a_new_order_gets_the_policys_attempts(client, menu):
    set_policy(max_attempts=7)
    from workflow.start import place_order

    order = place_order(pizza=menu["margherita"], size="small", quantity=1, name="A", email="a@example.com", address="x").order
    assert order.attempt_limit == 7


def test_each_store_job_carries_the_policys_timeout(menu):
    set_policy(shop_timeout_s=4)
    order = make_order(menu)
    enqueue_store_order(order)
    [job] = queued_store_jobs()
    assert job["timeout"] == task_timeout_s(4) and job["kwargs"] == {"budget_s": task_timeout_s(4)}
    schedule_store_order(order, at=timezone.now())
    schedule = Schedule.objects.get(func=STORE_ORDER_TASK)
    assert f"'timeout': {task_timeout_s(4)}" in schedule.kwargs and f"'budget_s': {task_timeout_s(4)}" in schedule.kwargs


def test_a_job_queued_under_a_shorter_timeout_queues_itself_again_instead_of_calling(menu, shop):
    set_policy(shop_timeout_s=1)
    order = make_order(menu)
    budget = task_timeout_s(1)
    set_policy(shop_timeout_s=4)
    assert "queued again" in store_order_task(order.pk, budget_s=budget)
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED and order.attempts_made == 0 and shop.ledger() == []
    [job] = queued_store_jobs()
    assert job["timeout"] == task_timeout_s(4)


def test_an_attempt_is_stale_after_its_own_tasks_timeout(menu):
    set_policy(shop_timeout_s=1)
    short = claim_attempt(make_order(menu).pk)
    set_policy(shop_timeout_s=4)
    long = claim_attempt(make_order(menu).pk)
    assert short.task_timeout_s < long.task_timeout_s
    # Both started just past the short timeout: only the short one's worker must be gone.
    started = timezone.now() - timedelta(seconds=short.task_timeout_s + 1)
    StoreAttempt.objects.filter(pk__in=[short.pk, long.pk]).update(started_at=started)
    stalled = set(stalled_orders().values_list("pk", flat=True))
    assert short.order_id in stalled and long.order_id not in stalled
    assert claim_attempt(long.order_id) is None  # still live: left alone
    retaken = claim_attempt(short.order_id)
    assert retaken.number == 2
    assert StoreAttempt.objects.get(pk=short.pk).outcome == AttemptOutcome.INTERRUPTED


def test_the_command_prints_and_changes_the_policy(capsys):
    call_command("policy")
    assert f"{settings.STORE_ORDER_MAX_ATTEMPTS} attempts" in capsys.readouterr().out
    call_command("policy", "--attempts", "7", "--backoff", "2")
    out = capsys.readouterr().out
    assert "7 attempts, first wait 2 s" in out and "no restart" in out
    assert current_retry_policy().max_attempts == 7


def test_the_command_names_the_option_it_refuses():
    with pytest.raises(CommandError, match="--shop-timeout at most"):
        call_command("policy", "--shop-timeout", "900")
    with pytest.raises(CommandError, match="--backoff-cap the longest wait"):
        call_command("policy", "--backoff", "9", "--backoff-cap", "3")


@pytest.mark.parametrize("field", ["max_attempts", "backoff_s", "backoff_cap_s", "shop_timeout_s", "callback_deadline_s"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_number_that_is_not_finite_is_refused_for_every_field(field, value):
    """`policy --shop-timeout nan` passed both of its comparisons, was stored, and crashed the command (and,
    on PostgreSQL, which keeps NaN, every page and task that reads the policy)."""
    before = current_policy()
    with pytest.raises(PolicyRefused) as refusal:
        set_policy(**{field: value})
    assert "a finite number" in refusal.value.errors[field]
    assert current_policy() == before


def test_the_command_refuses_nan_with_a_message():
    with pytest.raises(CommandError, match="--shop-timeout a finite number"):
        call_command("policy", "--shop-timeout", "nan")


def test_a_policy_change_landing_as_the_task_starts_does_not_outgrow_the_tasks_timeout(menu, shop, monkeypatch):
    """The task compares its budget with the policy, then calls the shop: both must use one reading of the
    policy. Read twice, a longer shop timeout set in between would run the call under a django-q2 timeout
    sized for the shorter one (killed mid-call, the attempt left 'in progress' until recovery)."""
    from workflow import attempt, engine_policy

    set_policy(shop_timeout_s=1)
    order = make_order(menu)
    budget = task_timeout_s(1)
    real_current_policy, readings = engine_policy.current_policy, []

    def current_policy_then_a_change():
        policy = real_current_policy()
        if not readings:
            readings.append(policy)
            set_policy(shop_timeout_s=4)  # the trainer's change lands just after the task's first reading
        return policy

    monkeypatch.setattr(engine_policy, "current_policy", current_policy_then_a_change)
    monkeypatch.setattr(attempt, "current_policy", current_policy_then_a_change)
    store_order_task(order.pk, budget_s=budget)
    attempt = StoreAttempt.objects.get(order=order)
    assert attempt.outcome == AttemptOutcome.ACCEPTED and attempt.task_timeout_s == budget


def test_a_mode_switch_and_a_policy_change_at_the_same_moment_keep_both(monkeypatch):
    """Each used to save the whole settings row it had read, so the later save put back the other's old
    value (a policy change undone by a mode switch, or the reverse)."""
    from workflow.models import WorkflowSettings, current_store_mode, set_store_mode

    real_load, interleaved = WorkflowSettings.load.__func__, []

    def load_then(other_change):
        def load(cls):
            row = real_load(cls)
            if not interleaved:
                interleaved.append(True)
                other_change()  # commits between this caller's read and its save
            return row
        return classmethod(load)

    monkeypatch.setattr(WorkflowSettings, "load", load_then(lambda: set_policy(max_attempts=7)))
    set_store_mode("sync")
    monkeypatch.setattr(WorkflowSettings, "load", classmethod(real_load))
    assert current_store_mode() == "sync" and current_policy().max_attempts == 7

    interleaved.clear()
    monkeypatch.setattr(WorkflowSettings, "load", load_then(lambda: set_store_mode("async")))
    set_policy(max_attempts=9)
    monkeypatch.setattr(WorkflowSettings, "load", classmethod(real_load))
    assert current_store_mode() == "async" and current_policy().max_attempts == 9

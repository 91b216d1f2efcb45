"""Which open orders are stuck, and why: each rule is a deadline the engine's own policy sets.

An order is stuck when the step it is in has overrun what the settings and the retry policy allow (it is
the same grace the recovery sweep uses before it steps in, so a stuck order is one the sweep should have
moved and did not), or when it has been open longer than the whole retry policy can take.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.durations import human_duration

from orders.models import Order, OrderStatus
from workflow.models import EventKind, ExecutionEvent
from workflow.recovery import GRACE
from workflow.retry_policy import RetryPolicy
from core.timeouts import stale_after


@dataclass(frozen=True)
class StuckOrder:
    order: Order
    age: timedelta  # since it was received (or an admin last retried it)
    reasons: list[str]


def longest_honest_run(policy: RetryPolicy) -> timedelta:
    """The most time an order can take from received to final under the policy: every attempt runs to its
    task timeout, every wait is its longest (jitter up), one wait for the shop's callback, and the sweep's
    grace on top."""
    waits = sum(policy.nominal_delay_after(n) * (1 + policy.jitter) for n in range(1, policy.max_attempts))
    attempts = policy.max_attempts * settings.Q_TASK_TIMEOUT_S
    return timedelta(seconds=waits + attempts + settings.SHOP_CALLBACK_DEADLINE_S) + GRACE


def stuck_orders(now=None, policy: RetryPolicy | None = None, limit: int = 200) -> list[StuckOrder]:
    now = now or timezone.now()
    policy = policy or RetryPolicy.from_settings()
    window = longest_honest_run(policy)
    last_admin_retry = ExecutionEvent.objects.filter(order=OuterRef("pk"), kind=EventKind.RETRIED_BY_ADMIN).order_by("-at")
    candidates = (
        Order.objects.open()
        .annotate(
            budget_started_at=Coalesce(
                Subquery(last_admin_retry.values("at")[:1]), "created_at", output_field=DateTimeField()
            )
        )
        .filter(
            Q(status=OrderStatus.RECEIVED, updated_at__lt=now - GRACE)
            | Q(status=OrderStatus.SENDING, updated_at__lt=now - stale_after())
            | Q(status=OrderStatus.WAITING_RETRY, next_attempt_at__lt=now - GRACE)
            | Q(status=OrderStatus.AWAITING_CALLBACK, callback_deadline_at__lt=now - GRACE)
            | Q(budget_started_at__lt=now - window)
        )
        .select_related("pizza")
        .order_by("created_at")[:limit]
    )
    found = []
    for order in candidates:
        reasons = _reasons(order, now=now, window=window)
        if reasons:
            found.append(StuckOrder(order=order, age=now - order.budget_started_at, reasons=reasons))
    return found


def _reasons(order: Order, *, now, window: timedelta) -> list[str]:
    reasons = []
    if order.status == OrderStatus.RECEIVED and order.updated_at < now - GRACE:
        reasons.append(
            f"received {human_duration(now - order.updated_at)} ago and no worker has started it "
            f"(a running cluster starts an order within {human_duration(GRACE)})"
        )
    if order.status == OrderStatus.SENDING and order.updated_at < now - stale_after():
        reasons.append(
            f"an attempt has been under way for {human_duration(now - order.updated_at)}, longer than a task may run "
            f"({settings.Q_TASK_TIMEOUT_S} s): its worker is gone"
        )
    if order.status == OrderStatus.WAITING_RETRY and order.next_attempt_at and order.next_attempt_at < now - GRACE:
        reasons.append(f"its next attempt was due {human_duration(now - order.next_attempt_at)} ago and has not started")
    if (
        order.status == OrderStatus.AWAITING_CALLBACK
        and order.callback_deadline_at
        and order.callback_deadline_at < now - GRACE
    ):
        reasons.append(
            f"the shop's callback deadline passed {human_duration(now - order.callback_deadline_at)} ago and "
            "nobody has asked the shop"
        )
    if order.budget_started_at < now - window:
        reasons.append(
            f"open for {human_duration(now - order.budget_started_at)}; the retry policy reaches a final status "
            f"within {human_duration(window)}"
        )
    return reasons

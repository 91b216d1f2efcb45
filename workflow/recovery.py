"""The safety net: find orders whose job went missing and queue them again.

Jobs can be lost outside our transactions: a Redis push after commit that never happened, a task that
django-q2 gave up on after `max_attempts` (a mail during a long SMTP outage), a schedule deleted by hand. Queuing a job for an order that
still has one is harmless: the claim in workflow.attempt lets only one of them act.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from core.queue import ensure_every_minute
from core.timeouts import stale_after
from orders.models import Order, OrderStatus

from .attempt import enqueue_store_order
from .callbacks import enqueue_callback_deadline_check
from .cancellation import enqueue_compensation
from .mail import enqueue_status_email
from .models import AttemptOutcome, StoreAttempt

# Long enough that a healthy cluster has surely picked the job up by then.
GRACE = timedelta(seconds=60)
# A cancellation's compensating call retries at most about a minute apart (the backoff's cap, with jitter):
# one quiet for longer has lost its job, or ran out of tries while the shop was unreachable.
QUIET_CANCELLATION = timedelta(minutes=3)


def stalled_orders(now=None):
    now = now or timezone.now()
    return Order.objects.filter(
        Q(status=OrderStatus.RECEIVED, updated_at__lt=now - GRACE)
        | Q(status=OrderStatus.WAITING_RETRY, next_attempt_at__lt=now - GRACE)
        | Q(pk__in=_lost_sending(now))
    )


def _lost_sending(now) -> list[int]:
    """Orders 'sending' whose attempt has outlived its own task's timeout (each task has the policy's of
    its time), or that have no attempt in progress and have not moved for the longest timeout."""
    running = StoreAttempt.objects.filter(order__status=OrderStatus.SENDING, outcome=AttemptOutcome.IN_PROGRESS)
    lost = [attempt.order_id for attempt in running.only("order_id", "started_at", "task_timeout_s")
            if attempt.started_at < now - stale_after(attempt.task_timeout_s)]
    orphans = Order.objects.filter(status=OrderStatus.SENDING, updated_at__lt=now - stale_after()).exclude(
        pk__in=running.values("order_id"))
    return lost + list(orphans.values_list("pk", flat=True))


def unmailed_final_orders(now):
    """Final orders whose mail never went and is neither given up on nor waiting for its next try."""
    return Order.objects.mail_pending(final_before=now - GRACE)


def requeue_stalled_orders(now=None) -> int:
    now = now or timezone.now()
    count = 0
    for order in stalled_orders(now):
        enqueue_store_order(order)
        count += 1
    # A final order whose mail job was given up on (an SMTP outage longer than django-q2's tries): the
    # claim in send_status_email keeps a repeat from mailing twice.
    for order in unmailed_final_orders(now):
        enqueue_status_email(order)
        count += 1
    # An order waiting for a callback whose deadline check went missing: run the check now.
    for order in Order.objects.filter(status=OrderStatus.AWAITING_CALLBACK, callback_deadline_at__lt=now - GRACE):
        enqueue_callback_deadline_check(order)
        count += 1
    # A cancellation whose compensating call went quiet: ask the shop again (the call is idempotent there).
    for order in Order.objects.filter(status=OrderStatus.CANCELLING, updated_at__lt=now - QUIET_CANCELLATION):
        enqueue_compensation(order)
        count += 1
    return count


# --- The sweep's task and its schedule ------------------------------------------------------------------

RECOVERY_SCHEDULE_NAME = "requeue stalled orders"


def requeue_stalled_orders_task() -> str:
    return f"requeued {requeue_stalled_orders()} order(s)"


def ensure_recovery_schedule():
    return ensure_every_minute(RECOVERY_SCHEDULE_NAME, requeue_stalled_orders_task)

"""The django-q2 tasks: thin wrappers that call the plain functions which tests call directly.

This module is a leaf when imported: each wrapper imports its function when it runs. The plain functions
queue these very tasks (workflow.jobs imports them to name them), so a top-level import here would be a cycle.
"""


def store_order_task(order_id: int, budget_s: int | None = None) -> str:
    """`budget_s`: the django-q2 timeout this task was queued with (None: Q_CLUSTER's, the largest)."""
    from .attempt import store_order
    from .engine_policy import current_policy
    from .jobs import requeue_with_longer_timeout

    # One reading of the policy for both the budget check and the call: read twice, a longer shop timeout
    # set in between would run the call under a django-q2 timeout sized for the shorter one.
    policy = current_policy()
    if (requeued := requeue_with_longer_timeout(order_id, budget_s, needed_s=policy.task_timeout_s)) is not None:
        return requeued
    attempt = store_order(order_id, policy=policy.retry)
    return "nothing due" if attempt is None else f"attempt {attempt.number}: {attempt.outcome}"


def send_status_email_task(order_id: int, kind: str) -> str:
    from .jobs import schedule_status_email
    from .mail import send_status_email

    sent = send_status_email(order_id, kind, retry_later=schedule_status_email)
    return "sent" if sent else "not sent (already sent, no longer due, or refused: see the order's mail status)"


def requeue_stalled_orders_task() -> str:
    from .recovery import requeue_stalled_orders

    return f"requeued {requeue_stalled_orders()} order(s)"


def check_callback_deadline_task(order_id: int) -> str:
    from .callbacks import check_callback_deadline

    return check_callback_deadline(order_id)


def cancel_at_shop_task(order_id: int) -> str:
    from .cancellation import cancel_at_shop

    return cancel_at_shop(order_id)


def cancel_orphan_task(order_id: int, tries: int = 0) -> str:
    from .reconciliation import cancel_orphan

    return cancel_orphan(order_id, tries)


def reconcile_with_shop_task() -> str:
    from .reconciliation import reconcile_with_shop

    return str(reconcile_with_shop())

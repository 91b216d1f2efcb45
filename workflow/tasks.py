"""The django-q2 tasks: thin wrappers that call the plain functions which tests call directly."""

from orders.emails import send_status_email
from orders.models import Order

from .callbacks import check_callback_deadline
from .engine_policy import current_policy
from .jobs import enqueue_store_order
from .recovery import requeue_stalled_orders
from .store import store_order


def store_order_task(order_id: int, budget_s: int | None = None) -> str:
    """`budget_s`: the django-q2 timeout this task was queued with (None: Q_CLUSTER's, the largest)."""
    policy = current_policy()
    if budget_s is not None and budget_s < policy.task_timeout_s:
        # The shop timeout grew since this task was queued: a call now could outlast the task's timeout.
        order = Order.objects.filter(pk=order_id).first()
        if order is not None:
            enqueue_store_order(order)
        return f"queued again with the policy's longer timeout ({policy.task_timeout_s} s, was {budget_s} s)"
    attempt = store_order(order_id, policy=policy.retry)
    return "nothing due" if attempt is None else f"attempt {attempt.number}: {attempt.outcome}"


def send_status_email_task(order_id: int, status: str) -> str:
    return "sent" if send_status_email(order_id, status) else "not sent (already sent or no longer due)"


def requeue_stalled_orders_task() -> str:
    return f"requeued {requeue_stalled_orders()} order(s)"


def check_callback_deadline_task(order_id: int) -> str:
    return check_callback_deadline(order_id)

"""The django-q2 tasks: thin wrappers that call the plain functions which tests call directly."""

from orders.emails import send_status_email

from .callbacks import check_callback_deadline
from .recovery import requeue_stalled_orders
from .store import store_order


def store_order_task(order_id: int) -> str:
    attempt = store_order(order_id)
    return "nothing due" if attempt is None else f"attempt {attempt.number}: {attempt.outcome}"


def send_status_email_task(order_id: int, status: str) -> str:
    return "sent" if send_status_email(order_id, status) else "not sent (already sent or no longer due)"


def requeue_stalled_orders_task() -> str:
    return f"requeued {requeue_stalled_orders()} order(s)"


def check_callback_deadline_task(order_id: int) -> str:
    return check_callback_deadline(order_id)

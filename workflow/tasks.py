"""The django-q2 tasks: thin wrappers that call the plain functions which tests call directly."""

from orders.emails import send_status_email

from .callbacks import check_callback_deadline
from .cancellation import cancel_at_shop
from .reconciliation import cancel_orphan, reconcile_with_shop
from .jobs import schedule_status_email
from .recovery import requeue_stalled_orders
from .store import store_order


def store_order_task(order_id: int) -> str:
    attempt = store_order(order_id)
    return "nothing due" if attempt is None else f"attempt {attempt.number}: {attempt.outcome}"


def send_status_email_task(order_id: int, kind: str) -> str:
    sent = send_status_email(order_id, kind, retry_later=schedule_status_email)
    return "sent" if sent else "not sent (already sent, no longer due, or refused: see the order's mail status)"


def requeue_stalled_orders_task() -> str:
    return f"requeued {requeue_stalled_orders()} order(s)"


def check_callback_deadline_task(order_id: int) -> str:
    return check_callback_deadline(order_id)


def cancel_at_shop_task(order_id: int) -> str:
    return cancel_at_shop(order_id)


def cancel_orphan_task(order_id: int, tries: int = 0) -> str:
    return cancel_orphan(order_id, tries)


def reconcile_with_shop_task() -> str:
    return str(reconcile_with_shop())

"""Putting store-order and email jobs on django-q2's queue.

With the ORM broker (the default) a queued job is a row in the app's own database, so enqueueing inside
`transaction.atomic()` commits the job together with the order change that needs it, or neither. With
Redis the queue is outside the database: the job is pushed only once the transaction has committed, and
the stalled-order sweep (workflow.recovery) picks up an order whose push was lost in between.
"""

from django.conf import settings
from django.db import transaction
from django_q.models import Schedule
from django_q.tasks import async_task

from orders.models import Order

STORE_ORDER_TASK = "workflow.tasks.store_order_task"
SEND_STATUS_EMAIL_TASK = "workflow.tasks.send_status_email_task"
RECOVERY_TASK = "workflow.tasks.requeue_stalled_orders_task"
NOTIFY_CALLBACK_TASK = "api.tasks.notify_callback_task"
RECOVERY_SCHEDULE_NAME = "requeue stalled orders"


def task_group(order: Order) -> str:
    """All django-q2 tasks of one order share this group, so the admin can list them together."""
    return f"order {order.public_id}"


def enqueue_store_order(order: Order) -> None:
    _enqueue(STORE_ORDER_TASK, order.pk, group=task_group(order), name=f"store order {order.short_id}")


def enqueue_final_jobs(order: Order) -> None:
    """Everything that must follow a final status, queued in the transaction that set it."""
    enqueue_status_email(order)
    if order.callback_url:
        _enqueue(NOTIFY_CALLBACK_TASK, order.pk, group=task_group(order), name=f"notify {order.short_id}")


def enqueue_status_email(order: Order) -> None:
    _enqueue(
        SEND_STATUS_EMAIL_TASK, order.pk, order.status, group=task_group(order), name=f"email {order.short_id}"
    )


def schedule_store_order(order: Order, *, at) -> None:
    """Run the next attempt at `at` without holding a worker until then (a one-off django-q2 schedule)."""
    Schedule.objects.create(
        name=f"store order {order.public_id} attempt {order.attempts_made + 1}",
        func=STORE_ORDER_TASK,
        args=repr((order.pk,)),
        kwargs=repr({"q_options": {"group": task_group(order)}}),
        schedule_type=Schedule.ONCE,
        repeats=-1,  # django-q2 deletes a ONCE schedule with negative repeats once it has made the task
        next_run=at,
    )


def _enqueue(func: str, *args, group: str, name: str) -> None:
    q_options = {"group": group, "task_name": name}
    if settings.REDIS_URL:
        transaction.on_commit(lambda: async_task(func, *args, q_options=q_options), robust=True)
    else:
        async_task(func, *args, q_options=q_options)


def ensure_recovery_schedule() -> Schedule:
    schedule, _ = Schedule.objects.update_or_create(
        name=RECOVERY_SCHEDULE_NAME,
        defaults={"func": RECOVERY_TASK, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )
    return schedule

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

from .broker import enqueue_broker

STORE_ORDER_TASK = "workflow.tasks.store_order_task"
SEND_STATUS_EMAIL_TASK = "workflow.tasks.send_status_email_task"
RECOVERY_TASK = "workflow.tasks.requeue_stalled_orders_task"
NOTIFY_CALLBACK_TASK = "api.tasks.notify_callback_task"
CALLBACK_DEADLINE_TASK = "workflow.tasks.check_callback_deadline_task"
RECOVERY_SCHEDULE_NAME = "requeue stalled orders"


def task_group(order: Order) -> str:
    """All django-q2 tasks of one order share this group, so the admin can list them together."""
    return f"order {order.public_id}"


def enqueue_store_order(order: Order) -> None:
    enqueue_task(STORE_ORDER_TASK, order)


def enqueue_final_jobs(order: Order) -> None:
    """Everything that must follow a final status, queued in the transaction that set it."""
    enqueue_status_email(order)
    if order.callback_url:
        enqueue_task(NOTIFY_CALLBACK_TASK, order)


def enqueue_status_email(order: Order) -> None:
    enqueue_task(SEND_STATUS_EMAIL_TASK, order, order.status)


def enqueue_task(func: str, order: Order, *extra_args) -> None:
    """Queue one of an order's tasks (args: the order's id, then `extra_args`), grouped with its others."""
    enqueue(func, order.pk, *extra_args, group=task_group(order), name=f"{func.rsplit('.', 1)[1]} {order.short_id}")


def schedule_store_order(order: Order, *, at) -> None:
    """Run the next attempt at `at` without holding a worker until then."""
    schedule_once(STORE_ORDER_TASK, order.pk, at=at, name=f"store order {order.public_id} attempt {order.attempts_made + 1}",
                  group=task_group(order))


def schedule_callback_deadline(order: Order, *, at) -> None:
    """Look at the order again at `at`, in case the shop's callback has not come by then."""
    schedule_once(CALLBACK_DEADLINE_TASK, order.pk, at=at, name=f"callback deadline {order.public_id} attempt {order.attempts_made}",
                  group=task_group(order))


def schedule_once(func: str, *args, at, name: str, group: str) -> Schedule:
    """A task that runs once at `at` (a one-off django-q2 schedule), created in the caller's transaction."""
    return Schedule.objects.create(
        name=name[:100],
        func=func,
        args=repr(tuple(args)),
        kwargs=repr({"q_options": {"group": group}}),
        schedule_type=Schedule.ONCE,
        repeats=-1,  # django-q2 deletes a ONCE schedule with negative repeats once it has made the task
        next_run=at,
    )


def enqueue(func: str, *args, group: str, name: str) -> None:
    """Queue a task: in the caller's transaction with the ORM broker, after it commits with Redis."""
    q_options = {"group": group, "task_name": name}
    if settings.REDIS_URL:
        q_options["broker"] = enqueue_broker()  # one Redis connection pool per process, not one per task
        transaction.on_commit(lambda: async_task(func, *args, q_options=q_options), robust=True)
    else:
        async_task(func, *args, q_options=q_options)


def ensure_recovery_schedule() -> Schedule:
    return ensure_every_minute(RECOVERY_SCHEDULE_NAME, RECOVERY_TASK)


def ensure_every_minute(name: str, func: str) -> Schedule:
    """A sweep that runs every minute; creating it again changes nothing (prepare is safe to repeat)."""
    schedule, _ = Schedule.objects.update_or_create(
        name=name, defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1}
    )
    return schedule

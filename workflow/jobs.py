"""Putting jobs on django-q2's queue, for every app: name a task by its function, never by a string.

`enqueue_task(store_order_task, order)` derives the dotted path django-q2 needs from the function itself
(`task_path`), so every task an app queues shows as an import of that task.

With the ORM broker (the default) a queued job is a row in the app's own database, so enqueueing inside
`transaction.atomic()` commits the job together with the order change that needs it, or neither. With
Redis the queue is outside the database: the job is pushed only once the transaction has committed, and
the stalled-order sweep (workflow.recovery) picks up an order whose push was lost in between.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django_q.models import Schedule
from django_q.tasks import async_task

from orders.models import Order

from .broker import enqueue_broker
from .engine_policy import current_policy
from .tasks import (
    cancel_at_shop_task, cancel_orphan_task, check_callback_deadline_task, reconcile_with_shop_task,
    requeue_stalled_orders_task, send_status_email_task, store_order_task,
)

RECOVERY_SCHEDULE_NAME = "requeue stalled orders"
RECONCILE_SCHEDULE_NAME = "reconcile with the shop's ledger"


def task_path(func: Callable) -> str:
    """The dotted path by which a django-q2 worker imports `func` (a module-level function)."""
    if "." in func.__qualname__:
        raise ValueError(f"{func.__qualname__} is not a module-level function: a worker could not import it")
    return f"{func.__module__}.{func.__qualname__}"


def task_group(order: Order) -> str:
    """All django-q2 tasks of one order share this group, so the admin can list them together."""
    return f"order {order.public_id}"


def enqueue_store_order(order: Order, *, timeout: int | None = None) -> None:
    """`timeout`: the store task's timeout if the caller has the policy at hand (else read from it)."""
    timeout = timeout or store_task_timeout_s()
    enqueue_task(store_order_task, order, timeout=timeout, budget_s=timeout)


def requeue_with_longer_timeout(order_id: int, budget_s: int | None, *, needed_s: int) -> str | None:
    """If the task timeout of the policy the task will run under (`needed_s`) has grown past what the
    store-order task was queued for (`budget_s`), queue the order's task again with the new timeout and say
    so; None if the task may run as it is."""
    if budget_s is None or budget_s >= needed_s:
        return None
    order = Order.objects.filter(pk=order_id).first()
    if order is not None:
        enqueue_store_order(order)
    return f"queued again with the policy's longer timeout ({needed_s} s, was {budget_s} s)"


def store_task_timeout_s() -> int:
    """The store-order task's own django-q2 timeout, from the live policy's shop timeout. The task gets it
    as `budget_s` too: if the policy has grown past it by the time the task runs, the task queues itself
    again with the new one (workflow.tasks) rather than call the shop with a timeout it may not outlive."""
    return current_policy().task_timeout_s


def enqueue_status_email(order: Order) -> None:
    enqueue_task(send_status_email_task, order, order.status_mail_kind)


def schedule_status_email(order: Order, at) -> None:
    """Try a mail the server refused for now again at `at` (workflow.mail backs off and counts the tries)."""
    schedule_once(send_status_email_task, order.pk, order.status_mail_kind, at=at,
                  name=f"mail {order.status_mail_kind} {order.public_id} at {at:%H:%M:%S}", group=task_group(order))


def enqueue_callback_deadline_check(order: Order) -> None:
    enqueue_task(check_callback_deadline_task, order)


def enqueue_task(func: Callable, order: Order, *extra_args, timeout: int | None = None, **kwargs) -> None:
    """Queue one of an order's tasks (args: the order's id, then `extra_args`), grouped with its others."""
    enqueue(func, order.pk, *extra_args, group=task_group(order), name=f"{func.__name__} {order.short_id}",
            timeout=timeout, **kwargs)


def enqueue_compensation(order: Order) -> None:
    """The compensating call of a cancellation (workflow.cancellation.cancel_at_shop)."""
    enqueue_task(cancel_at_shop_task, order)


def schedule_compensation(order: Order, *, at) -> None:
    schedule_once(cancel_at_shop_task, order.pk, at=at, name=f"cancel at shop {order.public_id} try {order.cancel_tries + 1}",
                  group=task_group(order))


def enqueue_orphan_cancellation(order: Order, *, tries: int = 0) -> None:
    """Cancel at the shop an order we do not stand behind (failed or cancelled here)."""
    enqueue_task(cancel_orphan_task, order, tries)


def schedule_orphan_cancellation(order: Order, *, tries: int, at) -> None:
    schedule_once(cancel_orphan_task, order.pk, tries, at=at, name=f"cancel orphan {order.public_id} try {tries + 1}",
                  group=task_group(order))


def schedule_store_order(order: Order, *, at) -> None:
    """Run the next attempt at `at` without holding a worker until then."""
    timeout = store_task_timeout_s()
    schedule_once(store_order_task, order.pk, at=at, name=f"store order {order.public_id} attempt {order.attempts_made + 1}",
                  group=task_group(order), timeout=timeout, budget_s=timeout)


def schedule_callback_deadline(order: Order, *, at) -> None:
    """Look at the order again at `at`, in case the shop's callback has not come by then."""
    schedule_once(check_callback_deadline_task, order.pk, at=at,
                  name=f"callback deadline {order.public_id} attempt {order.attempts_made}", group=task_group(order))


def schedule_once(func: Callable, *args, at, name: str, group: str, timeout: int | None = None, **kwargs) -> Schedule:
    """A task that runs once at `at` (a one-off django-q2 schedule), created in the caller's transaction.
    `timeout`: the task's own django-q2 timeout (else Q_CLUSTER's); `kwargs` go to the task."""
    q_options = {"group": group, **({"timeout": timeout} if timeout else {})}
    return Schedule.objects.create(
        name=name[:100],
        func=task_path(func),
        args=repr(tuple(args)),
        kwargs=repr({**kwargs, "q_options": q_options}),
        schedule_type=Schedule.ONCE,
        repeats=-1,  # django-q2 deletes a ONCE schedule with negative repeats once it has made the task
        next_run=at,
    )


def enqueue(func: Callable, *args, group: str, name: str, timeout: int | None = None, **kwargs) -> None:
    """Queue a task: in the caller's transaction with the ORM broker, after it commits with Redis.
    `timeout`: the task's own django-q2 timeout (else Q_CLUSTER's); `kwargs` go to the task."""
    path = task_path(func)
    q_options = {"group": group, "task_name": name, **({"timeout": timeout} if timeout else {})}
    if settings.REDIS_URL:
        q_options["broker"] = enqueue_broker()  # one Redis connection pool per process, not one per task
        transaction.on_commit(lambda: async_task(path, *args, q_options=q_options, **kwargs), robust=True)
    else:
        async_task(path, *args, q_options=q_options, **kwargs)


def ensure_recovery_schedule() -> Schedule:
    return ensure_every_minute(RECOVERY_SCHEDULE_NAME, requeue_stalled_orders_task)


def ensure_every_minute(name: str, func: Callable) -> Schedule:
    """A sweep that runs every minute; creating it again changes nothing (prepare is safe to repeat)."""
    schedule, _ = Schedule.objects.update_or_create(
        name=name, defaults={"func": task_path(func), "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1}
    )
    return schedule


def ensure_reconciliation_schedule() -> Schedule:
    """The reconciliation sweep (workflow.reconciliation), every minute."""
    return ensure_every_minute(RECONCILE_SCHEDULE_NAME, reconcile_with_shop_task)

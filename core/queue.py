"""Putting jobs on django-q2's queue, for every app: name a task by its function, never by a string.

`enqueue(store_order_task, order.pk, ...)` derives the dotted path django-q2 needs from the function itself
(`task_path`), so every task an app queues shows as an import of that task.

With the ORM broker (the default) a queued job is a row in the app's own database, so enqueueing inside
`transaction.atomic()` commits the job together with the order change that needs it, or neither; the broker
(core.broker.WakingORM, which async_task builds) announces the job in the same transaction, so the cluster is
woken when it commits, never before. With Redis the queue is outside the database: the job is pushed only
once the transaction has committed, and the stalled-order sweep (workflow.recovery) picks up an order whose
push was lost in between.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import router, transaction
from django.db.models import QuerySet
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule, Success
from django_q.tasks import async_task

from . import wakeup
from .broker import enqueue_broker


def task_path(func: Callable) -> str:
    """The dotted path by which a django-q2 worker imports `func` (a module-level function)."""
    if "." in func.__qualname__:
        raise ValueError(f"{func.__qualname__} is not a module-level function: a worker could not import it")
    return f"{func.__module__}.{func.__qualname__}"


def task_group(order) -> str:
    """All django-q2 tasks of one order share this group, so the admin can list them together. `order`: any
    object with a `public_id` (core imports no app)."""
    return f"order {order.public_id}"


def enqueue_task(func: Callable, order, *extra_args, timeout: int | None = None, **kwargs) -> None:
    """Queue one of an order's tasks (args: the order's id, then `extra_args`), grouped with its others."""
    enqueue(func, order.pk, *extra_args, group=task_group(order), name=f"{func.__name__} {order.short_id}",
            timeout=timeout, **kwargs)


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


def schedule_once(func: Callable, *args, at, name: str, group: str, timeout: int | None = None, **kwargs) -> Schedule:
    """A task that runs once at `at` (a one-off django-q2 schedule), created in the caller's transaction and
    announced in it (core.schedule_clock: the clusters' schedulers wake when it commits, and run it when due).
    `timeout`: the task's own django-q2 timeout (else Q_CLUSTER's); `kwargs` go to the task."""
    q_options = {"group": group, **({"timeout": timeout} if timeout else {})}
    schedule = Schedule.objects.create(
        name=name[:100],
        func=task_path(func),
        args=repr(tuple(args)),
        kwargs=repr({**kwargs, "q_options": q_options}),
        schedule_type=Schedule.ONCE,
        repeats=-1,  # django-q2 deletes a ONCE schedule with negative repeats once it has made the task
        next_run=at,
    )
    wakeup.announce(wakeup.SCHEDULES, router.db_for_write(Schedule), schedule.pk)
    return schedule


def ensure_every_minute(name: str, func: Callable) -> Schedule:
    """A sweep that runs every minute; creating it again changes nothing (prepare is safe to repeat)."""
    schedule, _ = Schedule.objects.update_or_create(
        name=name, defaults={"func": task_path(func), "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1}
    )
    return schedule


def unschedule(func: Callable, *, name: str) -> int:
    """Delete the schedules of `func` named `name` (a one-off check no longer needed); how many there were.
    The scheduler looks at every schedule on each tick: one left to run only to find nothing to do costs a
    task and a result row."""
    deleted, _ = Schedule.objects.filter(func=task_path(func), name=name[:100]).delete()
    return deleted


def prune_task_history(keep: int | None = None) -> int:
    """Delete all but the newest `keep` (Q_TASK_HISTORY) successful task records; how many went. Failed ones
    are kept. django-q2's own pruning (save_limit) would do this on every task saved, reading them all."""
    keep = settings.Q_TASK_HISTORY if keep is None else keep
    oldest_kept = Success.objects.order_by("-stopped").values_list("stopped", flat=True)[keep - 1:keep].first()
    if oldest_kept is None:
        return 0
    deleted, _ = Success.objects.filter(stopped__lt=oldest_kept).delete()
    return deleted


TASK_HISTORY_SCHEDULE_NAME = "prune the task history"


def ensure_task_history_pruning() -> Schedule:
    return ensure_every_minute(TASK_HISTORY_SCHEDULE_NAME, prune_task_history)


def queued_rows() -> QuerySet[OrmQ]:
    """The ORM broker's queue, oldest first. A row whose lock is in the past waits for a worker (its lock is
    when it was queued, or when a worker's claim on it ran out); a row locked into the future has been pulled
    by a cluster. Only meaningful without Redis (`redis_queue_size` then)."""
    return OrmQ.objects.using(Conf.ORM).filter(key=get_broker().list_key).order_by("id")


def redis_queue_size() -> int:
    """Tasks waiting in the Redis list (Redis tells its length, not its rows' ages)."""
    return get_broker().queue_size() or 0

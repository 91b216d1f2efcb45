"""The health panel on the admin index: is the engine running, is work piling up, did the sweeps run, and
where do the orders stand. Every figure is read when the page is asked for."""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule, Task

from orders.models import FINAL_STATUSES, Order, OrderStatus
from api.tasks import deliver_callback_task
from core.cluster_status import ClusterStatus, clusters, workers_alive
from core.queue import task_path
from workflow.attempt import store_order_task
from workflow.callbacks import check_callback_deadline_task

from workflow.queue_probe import QueueVerdict, queue_verdict

from .queue import queue_figures

# What a one-off schedule is for, by its task (the rest are shown by their function's name).
ONE_OFF_PURPOSES = {
    task_path(store_order_task): "Store-order retries",
    task_path(check_callback_deadline_task): "Callback deadline checks",
    task_path(deliver_callback_task): "Notification retries",
}


@dataclass(frozen=True)
class ScheduledWork:
    purpose: str
    scheduled: int
    due: int  # due now or overdue: the scheduler turns them into tasks on its next tick
    next_at: datetime | None


@dataclass(frozen=True)
class Sweep:
    name: str
    every_minutes: int | None
    last_ran_at: datetime | None
    last_result: str
    last_succeeded: bool | None
    next_run_at: datetime | None


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    url: str
    final: bool


@dataclass
class EngineHealth:
    now: datetime
    clusters: list[ClusterStatus]
    workers_alive: int
    queue_depth: int
    oldest_queued_at: datetime | None
    oldest_queued_s: float
    scheduled: list[ScheduledWork]
    sweeps: list[Sweep]
    last_task_at: datetime | None
    queue: QueueVerdict
    orders: list[StatusCount] = field(default_factory=list)

    @property
    def state(self) -> str:
        """running, starting, behind, stuck or stopped (QueueState): from the probe, not the heartbeats."""
        return self.queue.state

    @property
    def probe_interval_s(self) -> float:
        return settings.QUEUE_PROBE_INTERVAL_S

    @property
    def qcluster_pids(self) -> list[int]:
        return [cluster.pid for cluster in self.clusters if cluster.alive]

    @property
    def clusters_alive(self) -> int:
        return sum(1 for cluster in self.clusters if cluster.alive)

    @property
    def retries_due(self) -> int:
        return sum(work.due for work in self.scheduled)


def engine_health(now=None) -> EngineHealth:
    now = now or timezone.now()
    found = clusters(now)
    queue = queue_figures(now)
    verdict = queue_verdict(now, found=found)
    return EngineHealth(
        now=now,
        clusters=found,
        workers_alive=workers_alive(found),
        queue_depth=queue.depth,
        oldest_queued_at=queue.oldest_queued_at,
        oldest_queued_s=queue.oldest_age_s(now),
        scheduled=scheduled_work(now),
        sweeps=sweeps(),
        last_task_at=verdict.last_task_at,
        queue=verdict,
        orders=orders_by_status(),
    )


def scheduled_work(now) -> list[ScheduledWork]:
    """The one-off schedules (retries and deadline checks that hold no worker while they wait)."""
    one_off = Schedule.objects.filter(schedule_type=Schedule.ONCE).exclude(repeats=0)
    by_func: dict[str, list] = {}
    for func, next_run in one_off.values_list("func", "next_run"):
        by_func.setdefault(func, []).append(next_run)
    work = []
    for func in sorted(by_func, key=lambda f: ONE_OFF_PURPOSES.get(f, f)):
        runs = [run for run in by_func[func] if run is not None]
        work.append(
            ScheduledWork(
                purpose=ONE_OFF_PURPOSES.get(func, func),
                scheduled=len(by_func[func]),
                due=sum(1 for run in runs if run <= now),
                next_at=min((run for run in runs if run > now), default=None),
            )
        )
    return work


def sweeps() -> list[Sweep]:
    """The recurring schedules (the recovery sweeps), each with the task it last made."""
    recurring = list(Schedule.objects.exclude(schedule_type=Schedule.ONCE).order_by("name"))
    last_tasks = Task.objects.in_bulk([s.task for s in recurring if s.task])
    found = []
    for schedule in recurring:
        task = last_tasks.get(schedule.task)
        found.append(
            Sweep(
                name=schedule.name or schedule.func,
                every_minutes=schedule.minutes if schedule.schedule_type == Schedule.MINUTES else None,
                last_ran_at=task.stopped if task else None,
                last_result=str(task.result)[:200] if task and task.result is not None else "",
                last_succeeded=task.success if task else None,
                next_run_at=schedule.next_run,
            )
        )
    return found


def counts_by(queryset, field: str) -> dict:
    """{value of field: rows}, in one GROUP BY query."""
    return dict(queryset.values_list(field).annotate(n=Count("pk")).order_by())


def orders_by_status() -> list[StatusCount]:
    counts = counts_by(Order.objects.all(), "status")
    changelist = reverse("admin:orders_order_changelist")
    return [
        StatusCount(
            status=status.value,
            label=status.label,
            count=counts.get(status.value, 0),
            url=f"{changelist}?{urlencode({'status__exact': status.value})}",
            final=status in FINAL_STATUSES,
        )
        for status in OrderStatus
    ]

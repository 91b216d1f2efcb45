"""What the process holds now, read from the records once: where the orders stand (by step of the
process), what the queue holds, and what the workers are doing.

The one place the live pictures read from: the process diagram (trainer/diagram.py), the order's own
diagram and the trainer's dashboard figures (trainer/stats.py) use the functions here, so they cannot
disagree. The execution table is not drawn from here: step_after_event maps its rows onto the same steps,
and tests/trainer/test_diagram.py checks that each order's last row and its status land on one step.

What is knowable, and from where:
- orders by step: the orders' statuses (and, for a final order, whether its mail went out);
- the queue: django-q2's ORM broker rows (a row locked into the future has been pulled by a cluster: it is
  running or next in line); with Redis only the length of the list is known; retries and callback
  deadlines waiting for their time are one-off django-q2 schedules with their due times;
- the workers: the cluster size is configured (Q_CLUSTER workers); a worker running a store-order attempt
  shows as that attempt in progress. A worker sending a mail or placing a batch customer leaves no such
  record: it shows as "no attempt" (idle, or on a short task);
- whether they work at all: the queue probe (workflow.queue_probe) with the clusters' heartbeats. With no
  heartbeat every lane is "stopped"; with heartbeats but nothing coming back through the queue every lane
  is "stuck" (django-q2 reports such workers alive); lanes beyond the workers alive are "dead".
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from core.queue import queued_rows, redis_queue_size, task_path
from orders.models import FINAL_STATUSES, Order, OrderStatus, StoreMode, mail_pending
from .models import AttemptOutcome, EventKind, StoreAttempt, current_store_mode
from .attempt import store_order_task
from .callbacks import check_callback_deadline_task
from .queue_probe import QueueState, QueueVerdict, queue_verdict


@dataclass(frozen=True)
class Step:
    name: str  # the diagram's data-step
    title: str
    customer_title: str  # what the step is called on a customer's page


# In the order of the process. `retry` and `callback` are the two loops of the store step.
STEPS = [
    Step("form", "Order form", "You order"),
    Step("wait", "Wait state: order + job committed", "Your order is safe with us"),
    Step("store", "Store order: calling the shop", "We are sending it to the shop"),
    Step("retry", "Retry scheduled", "We try again soon"),
    Step("callback", "Callback wait", "Shop will confirm"),
    Step("mail", "Confirmation mail", "We email you"),
    Step("done", "Done", "Done"),
]
STEP_BY_NAME = {step.name: step for step in STEPS}
STEP_OF_STATUS = {
    OrderStatus.RECEIVED: "wait",
    OrderStatus.SENDING: "store",
    OrderStatus.WAITING_RETRY: "retry",
    OrderStatus.AWAITING_CALLBACK: "callback",
}
# The execution table's rows, placed on the diagram: the step an order is at after that transaction.
STEP_AFTER_EVENT = {
    EventKind.PLACED: "wait",
    EventKind.RETRIED_BY_ADMIN: "wait",
    EventKind.ATTEMPT_STARTED: "store",
    EventKind.INTERRUPTED: "store",
    EventKind.ATTEMPT_FAILED: "retry",
    EventKind.ACKNOWLEDGED: "callback",
    EventKind.CALLBACK_LATE: "callback",
    EventKind.CONFIRMED: "mail",
    EventKind.CALLBACK_RECEIVED: "mail",
    EventKind.PLACED_SYNC: "mail",
    EventKind.FAILED: "mail",
    EventKind.EMAIL_SENT: "done",
}
SHOWN = 8  # queue entries and retries listed by name; the rest are counted


def step_of(order: Order) -> str:
    """Where one order stands on the diagram."""
    if order.status in STEP_OF_STATUS:
        return STEP_OF_STATUS[order.status]
    if order.status not in FINAL_STATUSES:
        return "done"  # cancelling: the compensating call is not one of the diagram's steps
    return "mail" if order.is_mail_pending else "done"  # as step_counts() counts them (mail_pending)


def step_after_event(kind: str) -> str | None:
    return STEP_AFTER_EVENT.get(kind)


def counted_orders(since: datetime | None = None):
    """The orders the counts cover: all, or (a trainer's session started at `since`) those placed since then
    and every one still on its way."""
    if since is None:
        return Order.objects.all()
    return Order.objects.filter(Q(created_at__gte=since) | ~Q(status__in=FINAL_STATUSES))


def status_counts(mode: str | None = None, *, since: datetime | None = None) -> dict[str, int]:
    """Orders by status (every status present, 0 if none), for one mode or all."""
    orders = counted_orders(since) if mode is None else counted_orders(since).filter(mode=mode)
    counts = dict.fromkeys(OrderStatus.values, 0)
    for row in orders.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def step_counts(*, since: datetime | None = None) -> dict[str, int]:
    """Orders at each step now: the dashboard's counts by status (status_counts), with the final orders
    split by whether their mail went out. One query, so the steps add up to the orders at one instant."""
    by_status = counted_orders(since).aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in OrderStatus.values},
        mail_pending=Count("id", filter=mail_pending()),
    )
    counts = dict.fromkeys(STEP_BY_NAME, 0)
    for status, step in STEP_OF_STATUS.items():
        counts[step] += by_status[status]
    finals = sum(by_status[status] for status in FINAL_STATUSES)
    counts["mail"] = by_status["mail_pending"]
    counts["done"] = finals - counts["mail"]
    return counts


@dataclass(frozen=True)
class QueuedJob:
    name: str
    order: str  # the order's short id, or "" for another job (a batch customer, a sweep)
    since_s: float  # waiting since (queued), or running/next in line since (pulled)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    order_id: int | None
    kind: str  # "retry" or "deadline"
    due_in_s: float


class LaneState:
    BUSY = "busy"  # running a store-order attempt
    IDLE = "idle"  # no attempt (idle, or on a short task)
    STUCK = "stuck"  # alive by its heartbeat, but nothing comes back through the queue
    STOPPED = "stopped"  # no cluster is running
    DEAD = "dead"  # fewer live worker processes than configured


@dataclass(frozen=True)
class Lane:
    number: int
    order: str = ""  # short id of the order whose attempt runs here; "" when no attempt runs
    public_id: str = ""
    attempt: int = 0
    running_s: float = 0.0
    state: str = ""  # LaneState (a worker's lane; a web request's has none)

    @property
    def busy(self) -> bool:
        return bool(self.order)


@dataclass(frozen=True)
class Snapshot:
    now: datetime
    mode: str
    steps: dict[str, int]
    waiting: list[QueuedJob]
    waiting_count: int
    pulled: list[QueuedJob]
    scheduled: list[ScheduledJob]
    scheduled_count: int
    lanes: list[Lane]
    in_requests: list[Lane]  # synchronous attempts: they run in the web request, not in a worker
    broker: str
    queue: QueueVerdict
    extra_running: int = 0  # attempts in progress beyond the lanes (another cluster, or a lost worker)

    @property
    def workers(self) -> int:
        return len(self.lanes)

    @property
    def busy_workers(self) -> int:
        return sum(lane.busy for lane in self.lanes)


def _queue(now) -> tuple[list[QueuedJob], int, list[QueuedJob], str]:
    if settings.REDIS_URL:
        return [], redis_queue_size(), [], "Redis (only the queue's length is known)"
    waiting, pulled = [], []
    rows = queued_rows()
    waiting_count = rows.filter(lock__lte=now).count()
    for row in rows.filter(lock__lte=now)[:SHOWN]:
        waiting.append(_queued_job(row, since=row.lock, now=now))
    # A pulled row's lock is the time it was pulled plus `retry`.
    for row in rows.filter(lock__gt=now)[: 4 * SHOWN]:
        pulled.append(_queued_job(row, since=row.lock - timedelta(seconds=settings.Q_TASK_RETRY_S), now=now))
    return waiting, waiting_count, pulled, "the app's database (django-q2's ORM broker)"


def _queued_job(row: OrmQ, *, since, now) -> QueuedJob:
    task = row.task
    name = task.get("name") or str(task.get("func", "?")).rsplit(".", 1)[-1]
    group = task.get("group") or ""
    order = group.removeprefix("order ")[:8] if group.startswith("order ") else ""
    return QueuedJob(name=name, order=order, since_s=max(0.0, (now - since).total_seconds()))


def _scheduled(now) -> tuple[list[ScheduledJob], int]:
    retry, deadline = task_path(store_order_task), task_path(check_callback_deadline_task)
    once = Schedule.objects.filter(schedule_type=Schedule.ONCE, func__in=[retry, deadline])
    jobs = []
    for schedule in once.order_by("next_run")[:SHOWN]:
        args = schedule.args.strip("(),").split(",")
        order_id = int(args[0]) if args and args[0].strip().isdigit() else None
        kind = "retry" if schedule.func == retry else "deadline"
        jobs.append(ScheduledJob(schedule.name, order_id, kind, max(0.0, (schedule.next_run - now).total_seconds())))
    return jobs, once.count()


def _lanes(now, workers: int) -> tuple[list[Lane], list[Lane], int]:
    running = (
        StoreAttempt.objects.filter(outcome=AttemptOutcome.IN_PROGRESS, order__status=OrderStatus.SENDING)
        .select_related("order")
        .order_by("started_at")
    )
    in_workers, in_requests = [], []
    for attempt in running:
        lane = Lane(
            number=0, order=attempt.order.short_id, public_id=str(attempt.order.public_id), attempt=attempt.number,
            running_s=max(0.0, (now - attempt.started_at).total_seconds()),
        )
        (in_requests if attempt.order.mode == StoreMode.SYNC else in_workers).append(lane)
    lanes = [
        Lane(number=n + 1, **({} if n >= len(in_workers) else _lane_fields(in_workers[n]))) for n in range(workers)
    ]
    return lanes, in_requests, max(0, len(in_workers) - workers)


def lane_state(lane: Lane, queue: QueueVerdict) -> str:
    """What a worker's lane shows: not "idle" when no worker runs, nor when the queue does not move."""
    if queue.state == QueueState.STOPPED:
        return LaneState.STOPPED
    if lane.number > queue.workers_alive:
        return LaneState.DEAD
    if queue.state == QueueState.STUCK:
        return LaneState.STUCK
    return LaneState.BUSY if lane.busy else LaneState.IDLE


def _lane_fields(lane: Lane) -> dict:
    return {"order": lane.order, "public_id": lane.public_id, "attempt": lane.attempt, "running_s": lane.running_s}


def process_snapshot(now=None, *, since: datetime | None = None) -> Snapshot:
    """`since`: a trainer's session start (counted_orders); the queue and the workers are always all."""
    now = now or timezone.now()
    waiting, waiting_count, pulled, broker = _queue(now)
    scheduled, scheduled_count = _scheduled(now)
    lanes, in_requests, extra = _lanes(now, settings.Q_CLUSTER["workers"])
    queue = queue_verdict(now)
    lanes = [replace(lane, state=lane_state(lane, queue)) for lane in lanes]
    return Snapshot(
        now=now, mode=current_store_mode(), steps=step_counts(since=since), waiting=waiting, waiting_count=waiting_count,
        pulled=pulled, scheduled=scheduled, scheduled_count=scheduled_count, lanes=lanes,
        in_requests=in_requests, broker=broker, queue=queue, extra_running=extra,
    )

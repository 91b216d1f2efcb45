"""When the qcluster parent runs django-q2's scheduler: as a schedule comes due, not at the next fixed tick.

A retry is a one-off django-q2 `Schedule` (core.queue.schedule_once). Looking for due schedules every tick
started a retry up to one tick late; the clock instead asks the database for the earliest `next_run` and
sleeps until then, at most `safety_net_s` (Q_SCHEDULER_TICK_S). A schedule committed meanwhile (it may be due
sooner than the one the clock sleeps for) wakes it through core/wakeup.py's SCHEDULES topic: `schedule_once`
announces it in its transaction, so the wake-up arrives only once the schedule is visible. A lost wake-up costs
at most one `safety_net_s`; an early, duplicated or rolled-back one costs one query (docs/ARCHITECTURE.md,
"Retries start when they are due").
"""

import time
from datetime import datetime

from django.db import router
from django.db.models import Q
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule

from . import wakeup

# The parent's other duties (watching the sentinel, the queue probe) come round at least this often, however
# long the clock would sleep.
SLICE_S = 0.5


def schedulable():
    """The schedules this cluster's `scheduler()` may run once due: the same rows, by the same filter."""
    mine = Q(cluster=Conf.CLUSTER_NAME)
    if Conf.CLUSTER_NAME == Conf.PREFIX:  # only the default cluster runs the schedules that name no cluster
        mine |= Q(cluster__isnull=True)
    return Schedule.objects.exclude(repeats=0).filter(mine)


def earliest_next_run() -> datetime | None:
    return schedulable().order_by("next_run").values_list("next_run", flat=True).first()


def sleep_s(next_run: datetime | None, now: datetime, safety_net_s: float, *, stuck: bool = False) -> float:
    """How long to sleep before looking at the schedules again: until `next_run`, at most `safety_net_s`.
    `stuck`: this due schedule was due at the last look already, so the scheduler that ran since could not take
    it (another cluster holds it, its task could not be queued): look again only at the safety net, as the
    fixed tick did, rather than at once and in a loop."""
    if next_run is None or stuck:
        return safety_net_s
    return min(max(0.0, (next_run - now).total_seconds()), safety_net_s)


class ScheduleClock:
    """The qcluster parent's loop asks `due()` each turn (True: run the scheduler now) and calls `wait()`
    between turns; a turn comes at least every SLICE_S, and the database is asked only when the clock says."""

    def __init__(self, safety_net_s: float):
        self.safety_net_s = safety_net_s
        self._waiter = wakeup.Waiter(wakeup.SCHEDULES, router.db_for_write(Schedule))
        self._look_at = 0.0  # time.monotonic() of the next look at the schedules
        self._due_seen = None  # the earliest next_run found due at the last look

    def due(self) -> bool:
        """Whether a schedule is due; looks at the database only when the planned time has come or a wake-up
        came, and plans the next look."""
        if time.monotonic() < self._look_at:
            return False
        self._look_at = time.monotonic() + self.safety_net_s  # should the query fail (the database restarting)
        self._waiter.drain()  # before the query: a schedule committed after it wakes the next wait
        next_run, now = earliest_next_run(), timezone.now()
        is_due = next_run is not None and next_run < now  # the scheduler's own test
        stuck = is_due and next_run == self._due_seen
        self._due_seen = next_run if is_due else None
        # A due schedule is looked at again at once (the scheduler is about to take it), unless it is stuck.
        self._look_at = time.monotonic() + sleep_s(next_run, now, self.safety_net_s, stuck=stuck)
        return is_due

    def wait(self) -> None:
        """Until the next look or a wake-up, at most SLICE_S."""
        remaining = self._look_at - time.monotonic()
        if remaining > 0 and self._waiter.wait(min(remaining, SLICE_S)):
            self._look_at = 0.0

    def close(self) -> None:
        self._waiter.close()

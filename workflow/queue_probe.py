"""The queue probe: a tiny task sent through django-q2's real broker, whose round trip says whether the queue
moves. "N workers alive" is not health: django-q2 reports its workers alive while they all wait forever on
a lock a killed process held (docs/ARCHITECTURE.md); only a task that goes through the queue and comes back
proves it works.

Who sends: the qcluster parent process (workflow/management/commands/qcluster.py) calls
`send_probe_or_log()` on each turn of its loop; `send_probe()` limits itself, so any number of clusters may
call it. Nothing else sends (a schedule would itself need the queue it is to check).

At most one probe ever waits in the broker, however long the queue is stuck:
- none is sent while the last one is still waiting in the broker (it is in line; another would only queue
  up behind it), nor within QUEUE_PROBE_INTERVAL_S of the last one;
- a probe taken from the broker but not back after QUEUE_PROBE_LOST_AFTER_S is presumed lost with a dead or
  frozen process (the Redis broker never hands a task out again): it is removed from the broker if it is
  there again and a new one is sent.
The record is one database row (`QueueProbe`), so the sender, the worker that answers and the web process
that reports read the same, with either broker; a compare-and-set on it lets only one sender send.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, IntegrityError
from django.db.models import Q
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import OrmQ
from django_q.tasks import async_task
from redis import RedisError

from core.broker import enqueue_broker
from core.cluster_status import ClusterStatus, clusters, last_task_finished_at, workers_alive
from core.queue import task_path
from .models import QueueProbe

logger = logging.getLogger(__name__)

PROBE_GROUP = "queue probe"

WAITING = "waiting"  # in the broker, for a worker to take it
TAKEN = "taken"  # out of the broker (pulled by a cluster), not back yet
GONE = "gone"  # neither in the broker nor back (the ORM broker's row was removed by hand)


def queue_probe_task(probe_id: str, sent_at: datetime) -> str:
    """The probe itself: coming back is all it does."""
    record_probe_returned(probe_id, sent_at)
    return "back"


@dataclass(frozen=True)
class ProbeReading:
    """What the probe record says at `now`."""

    now: datetime
    sent_at: datetime | None
    returned_at: datetime | None
    first_sent_at: datetime | None
    round_trip_s: float | None  # of the last probe that came back
    outstanding: bool

    @property
    def ever_sent(self) -> bool:
        return self.first_sent_at is not None

    @property
    def age_s(self) -> float | None:
        """Seconds since a probe last came back; if none ever has, since the first was sent; None if no
        probe was ever sent."""
        since = self.returned_at or self.first_sent_at
        return None if since is None else max(0.0, (self.now - since).total_seconds())

    @property
    def stale(self) -> bool:
        """The queue has not answered for longer than a healthy one ever takes."""
        return self.age_s is not None and self.age_s > settings.QUEUE_PROBE_STALE_S


class QueueState:
    """What the queue is doing, in the words the console and the diagrams use (data-queue-state)."""

    RUNNING = "running"  # a probe came back within QUEUE_PROBE_STALE_S
    STARTING = "starting"  # workers alive; no probe back yet, or none since a cluster started moments ago
    BEHIND = "behind"  # the probe is late, but tasks still finish: the queue moves, slowly
    STUCK = "stuck"  # workers report alive, yet nothing has come back through the queue for too long
    STOPPED = "stopped"  # no cluster sends a heartbeat


@dataclass(frozen=True)
class QueueVerdict:
    state: str
    probe: ProbeReading
    workers_alive: int
    last_task_at: datetime | None

    @property
    def not_moved_s(self) -> float | None:
        """How long the queue has not moved: since a probe, or a task, last came back."""
        moved = [at for at in (self.probe.returned_at, self.last_task_at) if at is not None]
        since = max(moved) if moved else self.probe.first_sent_at
        return None if since is None else max(0.0, (self.probe.now - since).total_seconds())

    @property
    def healthy(self) -> bool:
        return self.state in (QueueState.RUNNING, QueueState.STARTING, QueueState.BEHIND)


def judge_queue(probe: ProbeReading, *, workers_alive: int, last_task_at: datetime | None,
                started_at: datetime | None = None) -> QueueVerdict:
    """The queue's state from the probe, the clusters' heartbeats, the last task that finished and when the
    newest live cluster started (`started_at`).

    "Workers alive" alone is not health: django-q2 reports its workers alive while they all wait on a lock a
    killed process held. Only a task that comes back proves the queue works; a late probe with other tasks
    still finishing is a queue that moves slowly (a lunch rush), not a stuck one; a cluster that started
    less than QUEUE_PROBE_STALE_S ago has not had the time to answer yet."""
    stale_s = settings.QUEUE_PROBE_STALE_S
    if workers_alive == 0:
        state = QueueState.STOPPED
    elif not probe.stale:
        state = QueueState.RUNNING if probe.returned_at is not None else QueueState.STARTING
    elif last_task_at is not None and (probe.now - last_task_at).total_seconds() <= stale_s:
        state = QueueState.BEHIND
    elif started_at is not None and (probe.now - started_at).total_seconds() <= stale_s:
        state = QueueState.STARTING
    else:
        state = QueueState.STUCK
    return QueueVerdict(state=state, probe=probe, workers_alive=workers_alive, last_task_at=last_task_at)


def queue_verdict(now=None, *, found: list[ClusterStatus] | None = None) -> QueueVerdict:
    """Is the queue moving (judge_queue), from the records as they are now? `found`: the clusters' status,
    if already read (core.cluster_status.clusters)."""
    now = now or timezone.now()
    found = clusters(now) if found is None else found
    started = max((cluster.started_at for cluster in found if cluster.alive and cluster.started_at), default=None)
    return judge_queue(probe_reading(now), workers_alive=workers_alive(found), last_task_at=last_task_finished_at(),
                       started_at=started)


def probe_reading(now=None) -> ProbeReading:
    now = now or timezone.now()
    probe = QueueProbe.objects.filter(pk=1).first() or QueueProbe()
    return ProbeReading(now=now, sent_at=probe.sent_at, returned_at=probe.returned_at, first_sent_at=probe.first_sent_at,
                        round_trip_s=probe.round_trip_s, outstanding=probe.outstanding)


def probe_age_seconds(now=None) -> float | None:
    """Seconds since a probe last came back through the queue (see ProbeReading.age_s)."""
    return probe_reading(now).age_s


def send_probe(*, now=None) -> str | None:
    """Send a probe unless one should not be sent now (see the module's docstring); its id, or None."""
    now = now or timezone.now()
    probe = _record()
    if not _due(probe, now):
        return None
    probe_id = uuid.uuid4().hex
    claimed = QueueProbe.objects.filter(pk=1, sent_id=probe.sent_id).update(
        sent_id=probe_id, sent_at=now, broker_entry="", first_sent_at=probe.first_sent_at or now
    )
    if not claimed:
        return None  # another sender was faster
    if probe.outstanding:
        _remove_from_broker(probe.broker_entry)
    entry = _enqueue(probe_id, now)
    # The probe may already be back: then its entry is never looked at again.
    QueueProbe.objects.filter(pk=1, sent_id=probe_id).update(broker_entry=entry)
    return probe_id


def send_probe_or_log() -> str | None:
    """One turn of the sender's loop: a probe that cannot be sent now (the database or Redis unreachable) is
    logged and tried on the next turn; meanwhile the probe's growing age tells the truth. The loop that
    calls it (the scheduler tick) must not die of it."""
    try:
        return send_probe()
    except (DatabaseError, RedisError) as error:
        logger.warning("queue probe not sent (%s: %s); trying again on the next turn", type(error).__name__, error)
        return None


def record_probe_returned(probe_id: str, sent_at: datetime, *, now=None) -> None:
    """A probe came back: the queue moved. A late one (already replaced) proves that as well."""
    now = now or timezone.now()
    round_trip_s = max(0.0, (now - sent_at).total_seconds())
    answered = dict(returned_at=now, round_trip_s=round_trip_s)
    if not QueueProbe.objects.filter(pk=1, sent_id=probe_id).update(returned_id=probe_id, **answered):
        QueueProbe.objects.filter(pk=1).filter(Q(returned_at__isnull=True) | Q(returned_at__lt=now)).update(**answered)


def forget_outstanding_probe() -> None:
    """After the cluster's processes were replaced: the probe they held died with them (the Redis broker
    never hands it out again), so the next `send_probe()` sends at once rather than wait for it."""
    probe = QueueProbe.objects.filter(pk=1).first()
    if probe is not None and probe.outstanding:
        _remove_from_broker(probe.broker_entry)
        QueueProbe.objects.filter(pk=1, sent_id=probe.sent_id).update(sent_id="", broker_entry="")


def _record() -> QueueProbe:
    try:
        probe, _ = QueueProbe.objects.get_or_create(pk=1)
    except IntegrityError:  # created by another sender meanwhile
        probe = QueueProbe.objects.get(pk=1)
    return probe


def _due(probe: QueueProbe, now) -> bool:
    if not probe.sent_id or probe.sent_at is None:
        return True
    sent_s_ago = (now - probe.sent_at).total_seconds()
    if not probe.outstanding:
        return sent_s_ago >= settings.QUEUE_PROBE_INTERVAL_S
    where = _where(probe.broker_entry, now)
    if where == WAITING:
        return False
    return where == GONE or sent_s_ago >= settings.QUEUE_PROBE_LOST_AFTER_S


def _where(broker_entry: str, now) -> str:
    if not broker_entry:
        return TAKEN  # being sent right now
    if settings.REDIS_URL:
        broker = enqueue_broker()
        return WAITING if broker.connection.lpos(broker.list_key, broker_entry) is not None else TAKEN
    # ORM broker: the row stays until the task is acknowledged; pulled, it is locked until `retry` has passed
    # (then the broker hands it out again, and it waits again).
    lock = OrmQ.objects.filter(pk=int(broker_entry)).values_list("lock", flat=True).first()
    if lock is None:
        return GONE
    return TAKEN if lock > now else WAITING


def _remove_from_broker(broker_entry: str) -> None:
    if not broker_entry:
        return
    if settings.REDIS_URL:
        broker = enqueue_broker()
        broker.connection.lrem(broker.list_key, 0, broker_entry)
    else:
        OrmQ.objects.filter(pk=int(broker_entry)).delete()


class _EntryKeepingBroker:
    """The broker async_task enqueues through, keeping what finds the probe in it afterwards."""

    def __init__(self, broker):
        self.broker = broker
        self.list_key = broker.list_key
        self.entry = ""

    def enqueue(self, package: str):
        result = self.broker.enqueue(package)
        # ORM: the OrmQ row's id; Redis: rpush answers the list's length, so the entry is the package itself.
        self.entry = package if settings.REDIS_URL else str(result)
        return result


def _enqueue(probe_id: str, sent_at: datetime) -> str:
    broker = _EntryKeepingBroker(enqueue_broker() or get_broker())
    # save=False: a probe every few seconds would otherwise push the real tasks out of django-q2's
    # result history (Q_TASK_HISTORY).
    async_task(task_path(queue_probe_task), probe_id, sent_at,
               q_options={"broker": broker, "group": PROBE_GROUP, "task_name": f"queue probe {probe_id[:8]}",
                          "save": False, "timeout": 30})
    return broker.entry

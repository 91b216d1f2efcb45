"""What django-q2 holds right now, read from its broker and its cache: the same figures for the health
panel, /metrics, needs-attention and the process diagrams, so they always agree."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Task
from django_q.signing import BadSignature, SignedPackage
from django_q.status import Stat

from core.queue import queued_rows, redis_queue_size
from workflow.queue_probe import QueueVerdict, judge_queue, probe_reading

# django-q2 saves each cluster's status every guard cycle (0.5 s) with a 3 s expiry; a status older than
# this is from a cluster that has stopped saving it: killed, or frozen.
HEARTBEAT_STALE_AFTER = timedelta(seconds=max(5, 4 * Conf.GUARD_CYCLE))
LIVE_STATES = {Conf.STARTING, Conf.WORKING, Conf.IDLE}


@dataclass(frozen=True)
class ClusterStatus:
    name: str
    host: str
    pid: int
    state: str
    workers: int
    last_heartbeat: datetime
    heartbeat_age_s: float
    started_at: datetime | None

    @property
    def alive(self) -> bool:
        return self.state in LIVE_STATES and self.heartbeat_age_s <= HEARTBEAT_STALE_AFTER.total_seconds()


def clusters(now=None) -> list[ClusterStatus]:
    """Every cluster whose status is in the shared cache (stopped ones vanish from it within 3 s)."""
    now = now or timezone.now()
    found = []
    for stat in Stat.get_all(broker=get_broker()):
        found.append(
            ClusterStatus(
                name=str(stat.cluster_id)[:8],
                host=stat.host,
                pid=stat.pid,
                state=str(stat.status),
                workers=len(stat.workers),
                last_heartbeat=stat.timestamp,
                heartbeat_age_s=max(0.0, (now - stat.timestamp).total_seconds()),
                started_at=stat.tob,
            )
        )
    return sorted(found, key=lambda cluster: cluster.last_heartbeat, reverse=True)


def workers_alive(found: list[ClusterStatus]) -> int:
    return sum(cluster.workers for cluster in found if cluster.alive)


def last_task_finished_at():
    return Task.objects.order_by("-stopped").values_list("stopped", flat=True).first()


def queue_verdict(now=None, *, found: list[ClusterStatus] | None = None) -> QueueVerdict:
    """Is the queue moving (workflow.queue_probe.judge_queue)? `found`: the clusters, if already read."""
    now = now or timezone.now()
    found = clusters(now) if found is None else found
    started = max((cluster.started_at for cluster in found if cluster.alive and cluster.started_at), default=None)
    return judge_queue(probe_reading(now), workers_alive=workers_alive(found), last_task_at=last_task_finished_at(),
                       started_at=started)


@dataclass(frozen=True)
class QueueFigures:
    depth: int  # tasks waiting for a worker
    oldest_queued_at: datetime | None

    def oldest_age_s(self, now=None) -> float:
        if self.oldest_queued_at is None:
            return 0.0
        return max(0.0, ((now or timezone.now()) - self.oldest_queued_at).total_seconds())


def queue_figures(now=None) -> QueueFigures:
    now = now or timezone.now()
    if settings.REDIS_URL:
        return QueueFigures(depth=redis_queue_size(), oldest_queued_at=_redis_oldest(get_broker()))
    waiting = queued_rows().filter(lock__lte=now)  # a row's lock: when it was queued (core.queue)
    figures = waiting.aggregate(oldest=Min("lock"))
    return QueueFigures(depth=waiting.count(), oldest_queued_at=figures["oldest"])


def _redis_oldest(broker) -> datetime | None:
    """The head of the Redis list is the task queued first; its package says when."""
    head = broker.connection.lindex(broker.list_key, 0)
    if head is None:
        return None
    try:
        return SignedPackage.loads(head).get("started")
    except (BadSignature, AttributeError):
        return None

"""django-q2's own status of each cluster (`Stat`: its workers, its heartbeat), kept in the cache every
process shares (settings: CACHES), and when a task last finished. What these say is that processes are
alive, not that the queue moves: workflow.queue_probe judges that."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Task
from django_q.status import Stat

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

"""What django-q2's queue holds right now, read from its broker: the same figures for the health panel and
/metrics, so both always agree. (Its clusters' status: core.cluster_status; whether the queue moves:
workflow.queue_probe.queue_verdict.)"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.signing import BadSignature, SignedPackage

from core.queue import queued_rows, redis_queue_size

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

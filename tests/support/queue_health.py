"""A cluster as the console sees it, for tests without a real one: django-q2's status of a cluster with a
fresh heartbeat, and a probe that came back (or did not). The real thing is in tests/integration."""

from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.utils import timezone
from django_q.conf import Conf

from core import cluster_status
from workflow.models import QueueProbe


def heartbeat(monkeypatch, *, workers: int | None = None, pid: int = 4242) -> SimpleNamespace:
    """One cluster whose status django-q2 saved just now (Stat), with `workers` workers (Q_CLUSTER's by
    default)."""
    now = timezone.now()
    workers = settings.Q_CLUSTER["workers"] if workers is None else workers
    stat = SimpleNamespace(cluster_id="testclus-0000", host="test-host", pid=pid, status=Conf.IDLE,
                           workers=list(range(10_000, 10_000 + workers)), timestamp=now, tob=now - timedelta(minutes=5))
    monkeypatch.setattr(cluster_status.Stat, "get_all", staticmethod(lambda broker=None: [stat]))
    return stat


def probe_back(seconds_ago: float, *, first_sent_s_ago: float | None = None) -> None:
    """The probe record as the qcluster and a worker leave it: the last probe came back `seconds_ago`."""
    now = timezone.now()
    returned_at = now - timedelta(seconds=seconds_ago)
    QueueProbe.objects.update_or_create(pk=1, defaults=dict(
        sent_id="p1", returned_id="p1", sent_at=returned_at - timedelta(seconds=0.3), returned_at=returned_at,
        round_trip_s=0.3, first_sent_at=now - timedelta(seconds=first_sent_s_ago or seconds_ago + 60),
    ))

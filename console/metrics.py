"""/metrics: a Prometheus collector that reads the database and django-q2 at scrape time.

Nothing is counted in a process's memory: any web process answers a scrape with the same figures, however
many there are, and a restart loses nothing. `asyncpizza_store_attempts_total` is a counter made from the
attempt rows that have an outcome (an attempt's outcome never changes once set, so it only goes down if
orders are deleted, which Prometheus reads as a counter reset); attempts still under way are the gauge
`asyncpizza_store_attempts_in_progress`, as a counter they would drop each time one finished.
"""

import math

from django.utils import timezone
from django_q.models import Failure, Schedule
from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from api.models import CallbackDelivery, DeliveryState
from core.cluster_status import clusters, workers_alive
from orders.models import FINAL_AT_FIELDS, Order, OrderStatus
from workflow.models import AttemptOutcome, StoreAttempt
from workflow.queue_probe import probe_reading

from .health import counts_by, sweeps
from .queue import queue_figures

# From "at once" to "an hour": the retry policy's window is minutes, a callback may take longer.
TIME_TO_FINAL_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, math.inf)


class AsyncPizzaCollector:
    def collect(self):
        now = timezone.now()
        yield self._orders()
        yield self._attempts()
        yield _gauge("asyncpizza_store_attempts_in_progress", "Attempts under way (a worker is calling the shop).",
                     StoreAttempt.objects.filter(outcome=AttemptOutcome.IN_PROGRESS).count())
        yield self._time_to_final()
        queue = queue_figures(now)
        found = clusters(now)
        yield _gauge("asyncpizza_queue_depth", "django-q2 tasks waiting for a worker.", queue.depth)
        yield _gauge("asyncpizza_oldest_queued_seconds", "Age of the task waiting longest (0: none waits).",
                     queue.oldest_age_s(now))
        yield _gauge("asyncpizza_workers_alive", "Worker processes of clusters with a fresh heartbeat (alive is not "
                     "working: see asyncpizza_queue_probe_age_seconds).", workers_alive(found))
        probe = probe_reading(now)
        yield _gauge("asyncpizza_queue_probe_age_seconds", "Seconds since a probe task last came back through the "
                     "queue (none back yet: since the first was sent; NaN: none ever sent).", _or_nan(probe.age_s))
        yield _gauge("asyncpizza_queue_probe_round_trip_seconds", "Sent to back, of the last probe task that came "
                     "back (NaN: none yet).", _or_nan(probe.round_trip_s))
        yield _gauge("asyncpizza_clusters_alive", "django-q2 clusters with a fresh heartbeat.",
                     sum(1 for cluster in found if cluster.alive))
        one_off = Schedule.objects.filter(schedule_type=Schedule.ONCE).exclude(repeats=0)
        yield _gauge("asyncpizza_scheduled_tasks", "One-off schedules waiting (retries, deadline checks).", one_off.count())
        yield _gauge("asyncpizza_scheduled_tasks_due", "One-off schedules due or overdue.",
                     one_off.filter(next_run__lte=now).count())
        yield _gauge("asyncpizza_mails_pending", "Final orders whose customer has not been mailed yet.",
                     Order.objects.mail_pending().count())
        yield self._notifications()
        yield _gauge("asyncpizza_task_failures", "django-q2 failed tasks kept.", Failure.objects.count())
        yield self._sweeps()

    def _orders(self):
        metric = GaugeMetricFamily("asyncpizza_orders", "Orders by status.", labels=["status"])
        return _by_choice(metric, Order.objects.all(), "status", OrderStatus)

    def _attempts(self):
        metric = CounterMetricFamily("asyncpizza_store_attempts", "Attempts to place an order at the shop, by outcome.",
                                     labels=["outcome"])
        finished = [outcome for outcome in AttemptOutcome if outcome != AttemptOutcome.IN_PROGRESS]
        return _by_choice(metric, StoreAttempt.objects.all(), "outcome", finished)

    def _time_to_final(self):
        metric = HistogramMetricFamily("asyncpizza_time_to_final_seconds",
                                       "From received to confirmed, failed or cancelled, per final order.", labels=["status"])
        for status, field in FINAL_AT_FIELDS.items():
            durations = [
                max(0.0, (final_at - created_at).total_seconds())
                for created_at, final_at in Order.objects.filter(status=status, **{f"{field}__isnull": False})
                .values_list("created_at", field)
                .iterator(chunk_size=2000)
            ]
            buckets = [(_le(bound), sum(1 for d in durations if d <= bound)) for bound in TIME_TO_FINAL_BUCKETS]
            metric.add_metric([status.value], buckets, sum(durations))
        return metric

    def _notifications(self):
        metric = GaugeMetricFamily("asyncpizza_notifications", "Notifications to API clients, by state.", labels=["state"])
        return _by_choice(metric, CallbackDelivery.objects.all(), "state", DeliveryState)

    def _sweeps(self):
        metric = GaugeMetricFamily("asyncpizza_sweep_last_run_timestamp_seconds",
                                   "When each recurring sweep last finished (Unix time).", labels=["sweep"])
        for sweep in sweeps():
            if sweep.last_ran_at:
                metric.add_metric([sweep.name], sweep.last_ran_at.timestamp())
        return metric


def _by_choice(metric, queryset, field: str, choices):
    """One sample per choice (0 included, so a series never vanishes), counted in one query."""
    counts = counts_by(queryset, field)
    for choice in choices:
        metric.add_metric([choice.value], counts.get(choice.value, 0))
    return metric


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _le(bound: float) -> str:
    return floatToGoString(bound)  # as prometheus_client's own histograms write `le`: "30.0", "+Inf"


def registry() -> CollectorRegistry:
    """A registry with only our collector (no process metrics: they would describe one web process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AsyncPizzaCollector())
    return registry

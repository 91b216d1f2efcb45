"""django-q2's qcluster, plus a scheduler tick so that a retry due in 2 s runs in about 2 s.

django-q2's sentinel looks for due schedules only every 30 s (a constant in django_q.cluster), which would
turn a 1 s backoff into anything up to 30 s. The cluster's parent process is idle once it has started the
sentinel, so it calls django-q2's own `scheduler()` whenever a schedule is due, checking every
Q_SCHEDULER_TICK_S seconds. The scheduler locks the rows it turns into tasks, so it is safe to run beside
the sentinel's own call (and beside other clusters). The same loop sends the queue probe
(workflow.queue_probe), whose round trip the health panel and /metrics report.
"""

import os
import time

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from django_q.management.commands.qcluster import Command as DjangoQClusterCommand
from django_q.models import Schedule
from django_q.scheduler import scheduler

from workflow.queue_probe import send_probe_or_log


class Command(DjangoQClusterCommand):
    help = "Starts the django-q2 worker cluster, with a scheduler tick every Q_SCHEDULER_TICK_S seconds."

    def handle(self, *args, **options):
        if options.get("run_once"):
            return super().handle(*args, **options)
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        # No database connection may cross the fork (the system check opened one): the first child to close
        # its copy would break it for this process, whose loop then dies (PostgreSQL: "server closed the
        # connection unexpectedly"). This process opens its own again when it next needs one.
        connections.close_all()
        cluster = Cluster()
        cluster.start()
        broker = get_broker()
        # Ctrl-C and SIGTERM reach Cluster's own handler, which stops the sentinel; then this loop ends.
        while cluster.sentinel is not None and cluster.sentinel.is_alive():
            if due_schedules_exist():
                scheduler(broker=broker)
            send_probe_or_log()  # limits itself: see workflow.queue_probe
            time.sleep(settings.Q_SCHEDULER_TICK_S)


def due_schedules_exist() -> bool:
    # A cheap read first: scheduler() opens a write transaction, which on SQLite would take the database's
    # write lock twice a second for nothing.
    return Schedule.objects.exclude(repeats=0).filter(next_run__lt=timezone.now()).exists()

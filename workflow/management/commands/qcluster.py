"""django-q2's qcluster, made to heal itself (core.cluster), plus a scheduler tick and the queue probe.

The cluster's parent process is idle once it has started the sentinel, so it
- watches the sentinel and replaces the cluster's processes when one of them died (core.cluster);
- calls django-q2's own `scheduler()` as soon as a schedule comes due (core.schedule_clock.ScheduleClock:
  it sleeps until the earliest schedule's `next_run`, is woken when a schedule commits, and looks at least
  every Q_SCHEDULER_TICK_S seconds): django-q2's sentinel looks only every 30 s (a constant in
  django_q.cluster), which would turn a 1 s backoff into anything up to 30 s. The scheduler locks the rows it
  turns into tasks, so it is safe to run beside the sentinel's own call (and beside other clusters);
- sends the queue probe (workflow.queue_probe), which limits itself to one every few seconds.

`kill -USR1 PID` makes any process of the cluster print each thread's stack to the cluster's output (its
children inherit the handler): where a process waits, seen without stopping it.
"""

import faulthandler
import logging
import os
import signal
import sys

from django.conf import settings
from django.db import DatabaseError, connections
from django_q.brokers import get_broker
from django_q.management.commands.qcluster import Command as DjangoQClusterCommand
from django_q.scheduler import scheduler
from redis.exceptions import RedisError

from core.cluster import HealingCluster
from core.schedule_clock import ScheduleClock
from workflow.queue_probe import forget_outstanding_probe, send_probe_or_log

logger = logging.getLogger("django-q.healing")


class Command(DjangoQClusterCommand):
    help = ("Starts the django-q2 worker cluster, which replaces its processes when one dies, runs due schedules "
            "as they come due (looking at least every Q_SCHEDULER_TICK_S seconds) and sends the queue probe.")

    def handle(self, *args, **options):
        if options.get("run_once"):
            return super().handle(*args, **options)
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
        cluster = HealingCluster()
        broker = get_broker()
        clock = ScheduleClock(safety_net_s=settings.Q_SCHEDULER_TICK_S)
        replacements_seen = 0

        def tick():
            nonlocal replacements_seen
            try:
                if cluster.replacements != replacements_seen:
                    # The probe the old processes held died with them (Redis never hands it out again).
                    forget_outstanding_probe()
                    replacements_seen = cluster.replacements
                if clock.due():
                    scheduler(broker=broker)
                send_probe_or_log()  # limits itself: see workflow.queue_probe
            except (DatabaseError, RedisError) as error:
                # A database or Redis restart, a dropped connection: the tick must not end; try again next turn.
                logger.error("The qcluster tick failed (%s: %s); trying again.", type(error).__name__, error)
                connections.close_all()

        # Ctrl-C and SIGTERM reach the cluster's handler, which stops the sentinel; then run() returns.
        try:
            cluster.run(tick, clock.wait)
        finally:
            clock.close()

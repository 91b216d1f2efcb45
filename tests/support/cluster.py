"""A real django-q2 worker cluster (`manage.py qcluster`) in a process of its own, on the test database."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from bench.cluster_processes import ClusterProcesses, cluster_processes, describe, process_tree

ROOT = Path(__file__).resolve().parents[2]


class WorkerCluster:
    def __init__(self, *, shop_url: str, smtp_port: int, log_path: Path, extra_env: dict | None = None):
        database = settings.DATABASES["default"]
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            # The cluster must open the test database the test process created, not the demo's.
            "DATABASE_URL": f"sqlite:///{database['NAME']}",
            "SHOP_URL": shop_url,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            # Each task taken and done, in the log a failed test prints (`diagnosis`).
            "Q_LOG_LEVEL": "INFO",
            **(extra_env or {}),
        }
        self.log_path = log_path
        self.process = None

    def start(self):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches the workers too
        )
        return self

    def kill_hard(self):
        """SIGKILL the whole cluster, as a crash or an OOM kill would: nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.process:
            try:  # stray workers of a cluster that was killed
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()

    def processes(self) -> ClusterProcesses:
        """Its processes by role, read from /proc."""
        return cluster_processes(self.process.pid, workers=settings.Q_WORKERS)

    def idle(self) -> bool:
        """Every worker back on the task queue (a witness to wait for before finding one to kill)."""
        return self.processes().all_idle()

    def worker_pids(self) -> list[int]:
        """The worker processes django-q2's status lists for this cluster (its sentinel's pool)."""
        from django_q.brokers import get_broker
        from django_q.status import Stat

        return [pid for stat in Stat.get_all(broker=get_broker()) if stat.pid == self.process.pid for pid in stat.workers]

    def workers_frozen(self):
        """Every worker frozen (see `frozen`); the sentinel, the pusher and the parent go on (heartbeats, probes)."""
        pids = self.worker_pids()
        if not pids:
            raise AssertionError(f"no worker listed for the cluster (pid {self.process.pid})")
        return frozen(pids)

    def diagnosis(self) -> str:
        """What a failed test needs to tell where the cluster stood: each of its processes (state, wchan) and
        its stack (qcluster prints them on SIGUSR1), the jobs in the queue, the orders still open with their
        attempts, and the log."""
        from core.queue import queued_rows
        from orders.models import Order

        pids = process_tree(self.process.pid) if self.process.poll() is None else []
        lines = ["the cluster's processes:", *(f"  {describe(pid)}" for pid in pids)]
        for pid in pids:  # one at a time: they write to the same log
            try:
                os.kill(pid, signal.SIGUSR1)
            except ProcessLookupError:
                continue
            time.sleep(0.3)
        lines.append("the jobs in the queue (id, lock):")
        lines += [f"  {row.pk} {row.lock:%H:%M:%S.%f}" for row in queued_rows()]
        lines.append("the open orders (ref, status, created, attempts):")
        for order in Order.objects.open().prefetch_related("attempts"):
            attempts = "; ".join(f"{a.number} {a.outcome} {a.started_at:%H:%M:%S.%f}" for a in order.attempts.all())
            lines.append(f"  {order.short_id} {order.status} {order.created_at:%H:%M:%S.%f} [{attempts}]")
        return "\n".join([*lines, "the cluster's log:", self.log_tail(200)])

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


@contextmanager
def frozen(pids: list[int]):
    """SIGSTOP these processes, as a lock a killed process held leaves django-q2's workers: alive by their
    heartbeat, taking nothing. SIGCONT on the way out."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield pids
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


def cluster_idles() -> bool:
    """Whether the cluster on this database has nothing left to do: the last queue probe sent (a cluster sends
    one as it starts) has come back, and every job queued so far was taken and acknowledged (the ORM broker's
    queue is empty). Its pusher then waits for a wake-up or its poll: it queried again as soon as it had taken
    the last job."""
    from core.queue import queued_rows
    from workflow.models import QueueProbe

    probe = QueueProbe.objects.filter(pk=1).first()
    return probe is not None and bool(probe.sent_id) and not probe.outstanding and not queued_rows().exists()

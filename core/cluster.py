"""django-q2's worker cluster, made to heal: when one of its processes dies, all of them are replaced.

django-q2's Sentinel hands tasks to its workers through one `multiprocessing.Queue` and takes results back
through another; each queue end is guarded by a lock (a POSIX semaphore) shared by every process using it.
A process killed while it holds one (the idle worker next in line, blocked reading the task queue's pipe;
the monitor reading results; the pusher or a worker writing) leaves it held for good, and Sentinel's own
reincarnation then starts a process that waits on that lock forever, while the cluster reports all its
workers alive (django-q2/django-q2#23, #339; Koed00/django-q#394). Which lock a dead process held cannot be
told from outside, and a pipe it died reading may hold half a message: no repair of the old queues is safe.

So here a process that ends in any other way than by itself after its work (a worker recycled after
`recycle` tasks, or leaving after a timed-out task, exit code 0) retires the whole set: its sentinel tells
`HealingCluster.run()` (the qcluster parent), which starts a new sentinel with new queues and processes at
once; meanwhile the old sentinel stops its pusher, hands the tasks waiting in its queue back to the broker,
lets the workers that hold a task (TaskQueue) finish it (within its timeout) and records their results, then
kills the old set and exits with PROCESS_LOST_EXIT. Every child also dies with
its parent (PR_SET_PDEATHSIG): a killed sentinel takes its children along, and a killed qcluster parent the
whole cluster, so that nothing is left reading a queue no one writes to. docs/ARCHITECTURE.md ("When a
cluster process dies") says what the replacement costs the tasks that were in flight, per broker.

Each process names itself (`ps -o pid,comm`, /proc/PID/comm): q-sentinel, q-worker, q-monitor, q-pusher.
Linux only (prctl), like the rest of the production profile.
"""

import ctypes
import logging
import os
import signal
import time
import uuid
from collections.abc import Callable

from multiprocessing.reduction import ForkingPickler as _ForkingPickler

from django import db
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.cluster import Cluster, Sentinel, get_mp_context
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.monitor import monitor
from django_q.pusher import pusher
from django_q.queues import Queue
from django_q.signing import SignedPackage
from django_q.worker import worker

from . import wakeup

# Beside django-q2's own messages (its logger's level, Q_LOG_LEVEL, lets the critical ones through).
logger = logging.getLogger("django-q.healing")

# The sentinel's exit code after it brought the set down because one of its processes died.
PROCESS_LOST_EXIT = 75  # EX_TEMPFAIL
SENTINEL, WORKER, MONITOR, PUSHER = "q-sentinel", "q-worker", "q-monitor", "q-pusher"
ROLES = {worker: WORKER, monitor: MONITOR, pusher: PUSHER}
# How long a worker whose timer says "timed out" may take to leave by itself before it counts as lost.
TIMED_OUT_WORKER_LEAVES_WITHIN_S = 2.0
# How long a retiring set's pusher may take to finish its turn (a broker poll, slow on a busy SQLite) before
# it is killed, losing what it had not written into the queue yet (to `retry` or the sweeps). The new set
# does not wait for it.
PUSHER_STOPS_WITHIN_S = 10.0
# Once its pusher has stopped, how long a retiring set waits for its workers to be done taking what is in the
# task queue (each then holds its task and finishes it) before it kills those that hold none.
QUEUE_SETTLES_WITHIN_S = 2.0
# A queue whose pipe holds tasks this long while its read lock is held and one of its workers is dead: the
# dead worker held the lock (a live reader takes a waiting task at once), so no one else will read.
READER_DEAD_AFTER_S = 0.3

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(parent_pid: int) -> None:
    """SIGKILL this process when its parent dies (or at once, if it already has)."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)


def name_process(name: str) -> None:
    _libc.prctl(_PR_SET_NAME, name.encode()[:15])


class ProcessLost(Exception):
    """A process of the cluster ended abruptly: the queues it shared can no longer be trusted."""


class TaskQueue(Queue):
    """django-q2's task queue, which also tells whether each worker holds a task. A worker's flag is set as it
    takes a task (still under the queue's read lock) and cleared when it asks for the next one (its result
    put). django-q2's own timer marks a worker busy only once the task starts: between the two (a log line,
    importing the task's function, closing old connections) it reads "idle" while the task is in the worker's
    hands alone, and a worker killed then loses the task until `retry`."""

    holding = None  # in a worker's process: its own flag (a shared byte the sentinel reads)

    def get(self, block=True, timeout=None):
        if self.holding is None or not block or timeout is not None:
            return super().get(block, timeout)
        # As multiprocessing.Queue.get plus django-q2's counter, with the flag set before the lock is let go.
        self.holding.value = 0
        with self._rlock:
            message = self._recv_bytes()
            self.holding.value = 1
        self._sem.release()
        self.size.increment(-1)
        return _ForkingPickler.loads(message)


class HealingSentinel(Sentinel):
    def __init__(self, replace_event, *args, **kwargs):
        self.replace_event = replace_event  # set: the parent starts a new set now, while this one retires
        super().__init__(*args, start=False, **kwargs)
        self.task_queue = TaskQueue(maxsize=Conf.QUEUE_LIMIT) if Conf.QUEUE_LIMIT else TaskQueue()
        self._pipe_stuck_since = None
        self.start()

    def spawn_process(self, target: Callable, *args):
        # As Sentinel.spawn_process, with the child dying with the sentinel and naming its role, and each
        # worker telling whether it holds a task (TaskQueue).
        holding = get_mp_context().Value("b", 0, lock=False) if target == worker else None
        process = get_mp_context().Process(
            target=_child, args=(os.getpid(), ROLES[target], holding, target, *args),
            name=f"Process-{uuid.uuid4().hex}",
        )
        process.daemon = True
        if target == worker:
            process.daemon = Conf.DAEMONIZE_WORKERS
            process.timer = args[2]
            process.holding = holding
            self.pool.append(process)
        process.start()
        return process

    def reincarnate(self, process):
        if process in self.pool and process.timer.value == 0 and process.is_alive():
            # Timed out: the worker has put its result and is leaving by itself; give it a moment to do so
            # rather than SIGTERM it while its queue's feeder thread may still be writing.
            process.join(TIMED_OUT_WORKER_LEAVES_WITHIN_S)
        if process.exitcode == 0:  # it left by itself, its queues flushed: django-q2's replacement is safe
            return super().reincarnate(process)
        raise ProcessLost(f"{_role(self, process)} {process.pid} {_how_it_ended(process)}")

    def guard(self):
        try:
            super().guard()
        except ProcessLost as lost:
            logger.critical("The cluster's %s; a new set of processes replaces this one (fresh queues).", lost)
            self.retire()
            os._exit(PROCESS_LOST_EXIT)  # no exit handlers: they would join feeder threads on broken queues

    def retire(self) -> None:
        """Make way for a new set at once, and lose as little as possible of what this one holds: the tasks
        waiting in its queue go back to the broker now; the workers holding a task finish it (within its
        timeout), their results are recorded; then every process of the set is killed."""
        self.replace_event.set()
        self.event_out.set()  # the pusher stops after its current turn, its last tasks flushed into the queue
        queue = self.task_queue
        owned = False  # this sentinel holds the task queue's read lock: no worker takes a task any more
        deadline = time.monotonic() + PUSHER_STOPS_WITHIN_S
        while self.pusher.is_alive() and time.monotonic() < deadline:
            owned = owned or queue._rlock.acquire(False)
            if owned or self._reader_dead():  # no one else reads: hand back, or a full queue blocks the pusher
                self._hand_back_waiting()
            time.sleep(0.05)
        if self.pusher.is_alive():
            self.kill([self.pusher])
        # Nothing comes into the queue any more. Wait until no worker may be in the middle of taking a task:
        # the lock is ours, or the pipe is empty and every task put was taken, or its reader is dead.
        deadline = time.monotonic() + QUEUE_SETTLES_WITHIN_S
        while not (owned or self._all_taken() or self._reader_dead()) and time.monotonic() < deadline:
            time.sleep(0.02)
            owned = queue._rlock.acquire(False)
        # A worker holding no task waits for the lock or on an empty pipe, or timed out: it goes now. One
        # holding a task (busy, or taken and not started yet) finishes it, within the task's timeout.
        holding = [p for p in self.pool if p.is_alive() and p.holding.value and p.timer.value != 0]
        self.kill([p for p in self.pool if p not in holding])
        self._hand_back_waiting()
        deadline = time.monotonic() + max([Conf.TIMEOUT or 0, *(p.timer.value for p in holding)]) + 3
        while time.monotonic() < deadline and any(p.is_alive() and p.holding.value for p in holding):
            time.sleep(0.1)
        time.sleep(0.5)  # their results on their way to the monitor
        if self.monitor.is_alive():
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not self.result_queue.empty():
                time.sleep(0.1)
        self.kill([*self.pool, self.monitor])
        self._hand_back(self.result_queue, lambda task: monitor(_Replay([task]), self.broker),
                        "result(s) recorded for the monitor")

    def _hand_back_waiting(self) -> None:
        self._hand_back(self.task_queue, lambda task: hand_back(self.broker, task), "waiting task(s) handed back")

    def _all_taken(self) -> bool:
        """The task queue's pipe is empty and every task put into it was taken (as far as the lock: its worker
        holds it), so no worker is in the middle of taking one."""
        queue = self.task_queue
        return not queue._reader.poll(0) and queue._sem.get_value() == queue._maxsize

    def _reader_dead(self) -> bool:
        """The task queue's reader died holding its lock: tasks have waited in the pipe READER_DEAD_AFTER_S
        while a worker of the set is dead."""
        if not (self.task_queue._reader.poll(0) and any(not p.is_alive() for p in self.pool)):
            self._pipe_stuck_since = None
            return False
        if self._pipe_stuck_since is None:
            self._pipe_stuck_since = time.monotonic()
        return time.monotonic() - self._pipe_stuck_since >= READER_DEAD_AFTER_S

    def _hand_back(self, queue, handle, what: str) -> None:
        try:
            items = drain(queue)
            for item in items:
                handle(item)
        except Exception:  # whatever is not handed back here: the broker's re-delivery, the recovery sweeps
            logger.exception("Could not hand back all the %s.", what)
        else:
            if items:
                logger.critical("%d %s.", len(items), what)

    @staticmethod
    def kill(processes) -> None:
        for process in processes:
            if process is not None and process.is_alive():
                os.kill(process.pid, signal.SIGKILL)
        for process in processes:
            if process is not None:
                process.join(5)


def drain(queue) -> list:
    """What is in a multiprocessing queue's pipe, read past its lock, which a dead process may hold. Call it
    once no other process may read it (its readers dead, or waiting for that lock). Stops at the first
    incomplete message (a writer killed while writing)."""
    queue._rlock.acquire(False)  # if it is free, no one else may read while this drains
    os.set_blocking(queue._reader.fileno(), False)  # shared with the readers: none is left to block in a read
    items = []
    while True:
        try:
            items.append(_ForkingPickler.loads(queue._reader.recv_bytes()))
            queue._sem.release()  # as Queue.get does: room for a writer blocked on a full queue
        except Exception:  # empty (BlockingIOError), or a message a killed writer left half-written
            return items


def hand_back(broker, task: dict) -> None:
    """A task the pusher took from the broker but no worker ran: make it available again now."""
    if isinstance(broker, ORM):
        # Still the broker's row, locked until `retry` after it was taken: unlock it, and wake the pushers (the
        # new set's) as a new job would.
        OrmQ.objects.using(Conf.ORM).filter(pk=task["ack_id"]).update(lock=timezone.now())
        wakeup.announce(wakeup.queue_topic(broker.list_key), Conf.ORM, task["ack_id"])
    else:
        task = {key: value for key, value in task.items() if key not in {"ack_id", "cluster"}}
        broker.enqueue(SignedPackage.dumps(task))


class _Replay:
    """A queue-like list for django-q2's monitor loop, which reads until "STOP"."""

    def __init__(self, items):
        self.items = [*items, "STOP"]

    def get(self):
        return self.items.pop(0)


def _child(parent_pid: int, role: str, holding, target: Callable, *args):
    die_with_parent(parent_pid)
    name_process(role)
    if holding is not None:  # a worker: its flag, on its copy of the task queue (args[0])
        args[0].holding = holding
    target(*args)


def _sentinel(parent_pid: int, *args):
    die_with_parent(parent_pid)
    name_process(SENTINEL)
    HealingSentinel(*args)


def _role(sentinel: Sentinel, process) -> str:
    if process is sentinel.monitor:
        return "monitor"
    if process is sentinel.pusher:
        return "pusher"
    timer = process.timer.value
    return "idle worker" if timer == -1 else "busy worker" if timer > 0 else "worker"


def _how_it_ended(process) -> str:
    code = process.exitcode
    if code is None:
        return "did not leave after its task timed out"
    if code < 0:
        return f"was killed ({signal.Signals(-code).name})"
    return f"exited with code {code}"


class HealingCluster(Cluster):
    """The cluster's parent: starts a HealingSentinel, and a new one whenever the last one has gone.

    `run(tick, wait)` calls `tick()` (the scheduler when a schedule is due, the queue probe), then `wait()`,
    over and over while the cluster runs; `wait` returns within a fraction of a second (the sentinel is watched
    between turns). `run` returns once Ctrl-C or SIGTERM has stopped the cluster."""

    def __init__(self, broker=None):
        super().__init__(broker)
        self.stopping = False
        self.replacements = 0
        self.replace_event = None
        self.retiring = []  # sentinels of replaced sets, finishing their busy workers' tasks

    def start(self) -> int:
        # As Cluster.start, with a HealingSentinel; and no database connection crosses the fork (a system
        # check or the tick opened one): the sentinel would close the parent's connection under it.
        db.connections.close_all()
        self.stop_event = get_mp_context().Event()
        self.start_event = get_mp_context().Event()
        self.replace_event = get_mp_context().Event()
        self.sentinel = get_mp_context().Process(
            target=_sentinel,
            name=f"Process-{uuid.uuid4().hex}",
            args=(os.getpid(), self.replace_event, self.stop_event, self.start_event, self.cluster_id, self.broker,
                  self.timeout),
        )
        self.sentinel.start()
        logger.info("Q Cluster %s starting.", self.name)
        while self.start_event and not self.start_event.is_set():
            if not self.sentinel.is_alive():
                if self.sentinel.exitcode == 0:  # stopped by a signal while starting
                    break
                raise RuntimeError(f"Q Cluster {self.name} failed to start: sentinel exited with code {self.sentinel.exitcode}")
            time.sleep(0.1)
        return self.pid

    def run(self, tick: Callable[[], None], wait: Callable[[], None]) -> None:
        failed_starts = 0
        while not self.stopping:
            try:
                self.start()
            except RuntimeError as error:  # the broker is not reachable yet, say
                failed_starts += 1
                wait_s = min(30.0, 2.0 ** failed_starts)
                logger.error("%s; trying again in %.0f s.", error, wait_s)
                self._sleep(wait_s)
                continue
            failed_starts = 0
            while not self.stopping and self.sentinel.is_alive() and not self.replace_event.is_set():
                tick()
                self.retiring = [sentinel for sentinel in self.retiring if sentinel.is_alive()]
                wait()
            if self.stopping:
                break
            self.replacements += 1
            if self.replace_event.is_set():
                why = "after one of its processes died"
                self.retiring.append(self.sentinel)
            else:
                self.sentinel.join()
                why = f"after the sentinel itself ended ({_how_it_ended(self.sentinel)})"
            logger.critical("Q Cluster %s: starting a new sentinel and processes %s (replacement %d).",
                            self.name, why, self.replacements)
        for sentinel in self.retiring:  # stopping: their processes go with them
            if sentinel.is_alive():
                os.kill(sentinel.pid, signal.SIGKILL)

    def sig_handler(self, signum, frame):
        # One stop only: a second signal during the first one's stop would deadlock in Cluster.stop
        # (django-q2/django-q2#346).
        if self.stopping:
            return
        self.stopping = True
        if self.sentinel is not None and self.sentinel.is_alive():
            self.stop()

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.2)

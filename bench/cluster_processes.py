"""The processes of a running `manage.py qcluster`, by role, read from /proc (Linux), for the tests and the
chaos benchmark that kill them.

The qcluster process starts one sentinel; the sentinel starts its workers first, then the monitor, then the
pusher (django_q.cluster.Sentinel.spawn_cluster). Our cluster names each process (core.cluster:
q-worker, q-monitor, q-pusher); without names (django-q2's own cluster) the spawn order tells them apart.
"""

from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
NAMED = {"q-worker": "worker", "q-monitor": "monitor", "q-pusher": "pusher"}


@dataclass(frozen=True)
class ClusterProcesses:
    sentinel: int | None
    workers: list[int]
    monitor: int | None
    pusher: int | None

    def idle_next_in_line_worker(self) -> int | None:
        """The idle worker blocked reading the task queue's pipe: it holds the queue's read lock."""
        return next((pid for pid in self.workers if wchan(pid) == "anon_pipe_read"), None)

    def busy_workers(self) -> list[int]:
        """Workers in a task: neither reading the task queue nor waiting for its lock."""
        return [pid for pid in self.workers if wchan(pid) not in {"anon_pipe_read", ""} and "futex" not in wchan(pid)]

    def all_idle(self) -> bool:
        """Every worker back on the task queue: the tasks they took are done."""
        return bool(self.workers) and not self.busy_workers()

    def awaiting_an_answer(self) -> list[int]:
        """Workers blocked in poll(2), as a socket with a timeout waits: a call of theirs is out (to the shop,
        say) and its answer not in yet."""
        return [pid for pid in self.workers if "poll" in wchan(pid)]

    @property
    def all(self) -> list[int]:
        return [pid for pid in (self.sentinel, *self.workers, self.monitor, self.pusher) if pid]


def cluster_processes(qcluster_pid: int, workers: int) -> ClusterProcesses:
    """`workers`: how many the cluster runs (Q_WORKERS), for a cluster whose processes carry no names."""
    sentinels = children(qcluster_pid)
    if not sentinels:
        return ClusterProcesses(None, [], None, None)
    sentinel = sentinels[-1]
    spawned = children(sentinel)
    names = [comm(pid) for pid in spawned]
    if all(name in NAMED for name in names):
        roles = [NAMED[name] for name in names]
    else:
        roles = ["worker"] * workers + ["monitor", "pusher"]
    by_role = {"worker": [], "monitor": [], "pusher": []}
    for pid, role in zip(spawned, roles):
        by_role[role].append(pid)
    return ClusterProcesses(
        sentinel, by_role["worker"], next(iter(by_role["monitor"]), None), next(iter(by_role["pusher"]), None)
    )


def children(pid: int) -> list[int]:
    """Live children of `pid`, oldest first."""
    try:
        listed = (PROC / str(pid) / "task" / str(pid) / "children").read_text().split()
    except OSError:
        return []
    alive = [int(child) for child in listed if not is_dead(int(child))]
    return sorted(alive, key=lambda child: (_start_ticks(child), child))


def process_tree(pid: int) -> list[int]:
    """`pid` and its live descendants, parents before their children."""
    return [pid, *(descendant for child in children(pid) for descendant in process_tree(child))]


def is_dead(pid: int) -> bool:
    """Gone, or a zombie: it runs no more code."""
    return _state(pid) in {"Z", "X", None}


def describe(pid: int) -> str:
    """One line for a process: its pid, name, state and what it waits on (wchan)."""
    return f"{pid} {comm(pid)} state={_state(pid)} wchan={wchan(pid) or '-'}"


def comm(pid: int) -> str:
    try:
        return (PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


def wchan(pid: int) -> str:
    try:
        return (PROC / str(pid) / "wchan").read_text().strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # the fields after "(comm)": state is [0], starttime is [19]


def _state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def _start_ticks(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else 0

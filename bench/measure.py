"""Reading what a benchmark stack did from its own database, the memory of its processes, and the machine."""

import os
import platform
import sqlite3
import subprocess
import time
from pathlib import Path

from trainer.figures import percentile


def ms(values, fraction) -> float | None:
    value = percentile(values, fraction)
    return None if value is None else value * 1000


def summary(seconds: list[float]) -> dict:
    """p50/p95/p99 in ms, and how many."""
    return {"n": len(seconds), "p50": ms(seconds, 0.5), "p95": ms(seconds, 0.95), "p99": ms(seconds, 0.99)}


class Database:
    """The stack's app database (SQLite file or PostgreSQL), read with plain SQL: seconds since the epoch."""

    def __init__(self, stack):
        self.url = stack.env.get("DATABASE_URL", "")
        self.sqlite_path = Path(stack.var_dir) / "app.sqlite3"

    def epoch(self, column: str) -> str:
        if self.url.startswith("postgres"):
            return f"EXTRACT(EPOCH FROM {column})"
        return f"((julianday({column}) - 2440587.5) * 86400.0)"

    def rows(self, sql: str) -> list[tuple]:
        if self.url.startswith("postgres"):
            import psycopg

            with psycopg.connect(self.url) as connection:
                return [tuple(float(v) if v is not None and not isinstance(v, str) else v for v in row)
                        for row in connection.execute(sql).fetchall()]
        with sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30) as connection:
            return connection.execute(sql).fetchall()

    def order_times(self, since_id: int = 0) -> list[dict]:
        """Per order after `since_id`: created, first attempt's start, its duration (ms), confirmed, status."""
        e = self.epoch
        sql = (f"SELECT o.id, {e('o.created_at')}, {e('a.started_at')}, a.duration_ms, {e('o.confirmed_at')}, o.status "
               "FROM orders_order o LEFT JOIN workflow_storeattempt a ON a.order_id = o.id AND a.number = 1 "
               f"WHERE o.id > {int(since_id)} ORDER BY o.id")
        keys = ("id", "created", "started", "attempt_ms", "confirmed", "status")
        return [dict(zip(keys, row)) for row in self.rows(sql)]

    def last_order_id(self) -> int:
        return int(self.rows("SELECT COALESCE(MAX(id), 0) FROM orders_order")[0][0])

    def wait_until_final(self, since_id: int, count: int, timeout_s: float) -> list[dict]:
        """Wait (bounded) until `count` orders after `since_id` are confirmed or failed."""
        deadline = time.monotonic() + timeout_s
        while True:
            orders = self.order_times(since_id)
            if len(orders) >= count and all(o["status"] in {"confirmed", "failed"} for o in orders):
                return orders
            if time.monotonic() > deadline:
                return orders
            time.sleep(0.2)


    def wait_until_drained(self, timeout_s: float) -> float:
        """Wait (bounded) until no order is still on its way (and a moment for its mail); the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if not self.rows("SELECT 1 FROM orders_order WHERE status NOT IN ('confirmed', 'failed', 'cancelled') LIMIT 1"):
                break
            time.sleep(0.5)
        time.sleep(2)  # the final jobs (mails) queued with the last confirmations
        return time.monotonic() - started


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def memory_mb(pid: int) -> tuple[float, float] | None:
    """(RSS, PSS) in MB from /proc/<pid>/smaps_rollup; PSS shares each shared page among its users."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    values = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines()[1:] if line.split()[1].isdigit()}
    return values.get("Rss", 0) / 1024, values.get("Pss", 0) / 1024


def process_tree_memory(pid: int) -> list[tuple[float, float]]:
    return [m for m in (memory_mb(p) for p in descendants(pid)) if m is not None]


def machine() -> dict:
    memory_kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1])
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1), "cpu": cpu,
            "kernel": platform.release(), "python": platform.python_version()}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("Django", "django-q2", "gunicorn", "whitenoise", "psycopg", "redis", "celery", "kombu"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    for name, argv in {"PostgreSQL": ["psql", "--version"], "Redis": ["redis-server", "--version"]}.items():
        try:
            found[name] = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.split()[2].removeprefix("v=")
        except (OSError, IndexError, subprocess.TimeoutExpired):
            found[name] = "?"
    found["SQLite"] = sqlite3.sqlite_version
    return found

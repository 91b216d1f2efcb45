"""Why the order form slows under a rush: 50 customers post the form at once, then 50 post the bare insert at
once (the same in_parallel as `make bench`'s form_beside_bare), on a stack of its own, and while each rush runs:

- the database's own view: pg_stat_activity sampled every 10 ms (what each of the stack's backends is doing or
  waiting for: a row lock, the WAL, the client), counted per state and wait event;
- the web processes' own view (bench/request_trace.py): each request's time in the server, its time in SQL,
  per statement (a statement's wait for a lock, or SQLite's busy wait for its write lock, counts in it), and
  with --cprofile cProfile of the form's POSTs;
- the CPU the web processes used, beside the machine's.

Run: .venv/bin/python -m bench.form_rush [--profile production|sqlite] [--customers 50] [--cprofile]
(PostgreSQL and Redis must be running for the production profile; the Redis database given is flushed.)
"""

import argparse
import io
import json
import pstats
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

from . import report
from .client import Customer, in_parallel
from .measure import descendants, loadavg, summary
from .stack import ROOT

PROFILES = {"production": "production", "sqlite": "gunicorn-sqlite"}
SAMPLE_EVERY_S = 0.01


class ActivitySampler:
    """pg_stat_activity of the stack's database, sampled on a thread of its own until stopped."""

    def __init__(self, url: str):
        self.url = url
        self.waits, self.lock_waiters, self.idle_in_transaction = Counter(), Counter(), Counter()
        self.backend_pids = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self):
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self._stop.is_set():
                rows = connection.execute(
                    "SELECT pid, state, coalesce(wait_event_type, 'CPU or running'), coalesce(wait_event, ''), "
                    "left(regexp_replace(query, '\\s+', ' ', 'g'), 70) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                ).fetchall()
                self.samples += 1
                for pid, state, wait_type, wait, query in rows:
                    self.backend_pids.add(pid)
                    if state == "idle":
                        continue  # a kept connection between requests
                    self.waits[f"{state}: {wait_type} {wait}".strip()] += 1
                    if wait_type == "Lock":
                        self.lock_waiters[f"{wait}: {query}"] += 1
                    if state == "idle in transaction":
                        self.idle_in_transaction[query] += 1
                time.sleep(SAMPLE_EVERY_S)

    def figures(self) -> dict:
        return {"samples": self.samples, "waits": dict(self.waits.most_common()),
                "lock_waiters": dict(self.lock_waiters.most_common(8)),
                "idle_in_transaction_after": dict(self.idle_in_transaction.most_common(8))}


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / 100


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / 100, sum(values) / 100


def stack_groups(stack) -> dict[str, list[int]]:
    """The stack's processes by part: the web, the worker cluster (or Celery), the shop simulator."""
    web = descendants(stack.web_process.pid)
    others = [p for p in stack.processes if p is not stack.web_process]
    shop = descendants(others[0].pid)  # started first (bench.stack)
    workers = [pid for process in others[1:] for pid in descendants(process.pid)]
    return {"web": web, "workers": workers, "shop": shop}


def rush(stack, customers: int, per_customer: int, action: str, start_number: int, sample: bool) -> dict:
    groups = stack_groups(stack)
    cpu_before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    busy_before, total_before = machine_busy_seconds()
    started = time.perf_counter()
    if sample:
        with ActivitySampler(stack.env["DATABASE_URL"]) as sampler:
            seconds = in_parallel(stack.web_url, customers, per_customer, action, start_number=start_number)
        activity = sampler.figures()
    else:
        seconds, activity = in_parallel(stack.web_url, customers, per_customer, action, start_number=start_number), None
    wall = time.perf_counter() - started
    busy_after, total_after = machine_busy_seconds()
    cpu = {name: cpu_seconds(pids) - cpu_before[name] for name, pids in groups.items()}
    return {
        "client": summary(seconds), "wall_s": wall, "cpu_s": cpu,
        "web_cpu_s": cpu["web"],
        "machine_busy_cores": (busy_after - busy_before) / wall,
        "machine_cores": (total_after - total_before) / wall,
        "pg_activity": activity,
    }


def read_traces(directory: Path) -> dict:
    requests, statements = {}, {}
    for path in directory.glob("trace-*.json"):
        data = json.loads(path.read_text())
        for kind, rows in data["requests"].items():
            requests.setdefault(kind, []).extend(rows)
        for key, (count, seconds) in data["statements"].items():
            entry = statements.setdefault(key, [0, 0.0])
            entry[0] += count
            entry[1] += seconds
    by_kind = {}
    for kind, rows in requests.items():
        n = len(rows)
        shapes = {key.split(" | ", 1)[1]: {"per_request": count / n, "ms_per_request": seconds * 1000 / n}
                  for key, (count, seconds) in statements.items() if key.startswith(f"{kind} | ")}
        fresh = [r[0] for r in rows if len(r) > 3 and r[3]]
        by_kind[kind] = {
            "server": summary([r[0] for r in rows]), "sql": summary([r[1] for r in rows]),
            "opened_connection": summary(fresh),
            "statements_per_request": sum(r[2] for r in rows) / n,
            "statements": dict(sorted(shapes.items(), key=lambda item: -item[1]["ms_per_request"])),
        }
    return by_kind


def profiles(directory: Path, view: str) -> pstats.Stats | None:
    files = [str(p) for p in directory.glob(f"cprofile-{view}-*.prof")]
    if not files:
        return None
    stats = pstats.Stats(files[0], stream=io.StringIO())
    for other in files[1:]:
        stats.add(other)
    return stats


def round_trips(stats: pstats.Stats, posts: int) -> float:
    """Waits for the database server per POST: psycopg's Connection.wait, once per statement and per commit.
    Its waits under set_autocommit (the switch around a transaction) are left out: no message goes to the
    server there. A transaction's BEGIN goes out inside its first statement's wait."""
    waits = 0
    for (path, _, name), (_cc, calls, _tt, _ct, callers) in stats.stats.items():
        if name == "wait" and path.endswith("psycopg/connection.py"):
            waits += calls - sum(c[1] for caller, c in callers.items() if caller[2] == "set_autocommit")
    return waits / posts


def profile_figures(directory: Path, server: dict, lines: int = 25) -> dict:
    found = {}
    for view in ("form", "bare"):
        stats = profiles(directory, view)
        if stats is None:
            continue
        posts = server.get(f"POST {view}", {}).get("server", {}).get("n") or 1
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats("cumulative").print_stats(lines)
        found[view] = {"round_trips_per_post": round_trips(stats, posts), "top": out.getvalue()}
    return found


def measure(profile_key: str, args) -> dict:
    profile = next(p for p in report.PROFILES if p.key == PROFILES[profile_key])
    trace_dir = ROOT / "var" / "bench" / f"form-rush-trace-{profile_key}"
    shutil.rmtree(trace_dir, ignore_errors=True)
    environment = {"BENCH_TRACE_DIR": str(trace_dir), "BENCH_TRACE_CPROFILE": "1" if args.cprofile else "0"}
    if args.threads:  # over asyncpizza/gunicorn.conf.py's, for this stack only (gunicorn reads GUNICORN_CMD_ARGS)
        environment["GUNICORN_CMD_ARGS"] = f"--threads {args.threads}"
    load_before = loadavg()
    with report.profile_stack(profile, args, **environment) as stack:
        stack.configure_shop(latency_s=0)
        customer = Customer(stack.web_url)
        customer.open_form()
        for n in range(3):  # as form_beside_bare: both views once or more before the rush
            customer.order(10_000 + n)
            customer.bare_insert(n)
        customer.close()
        sample = profile.database == "postgres"
        form = rush(stack, args.customers, args.per_customer, "order", 30_000, sample)
        bare = rush(stack, args.customers, args.per_customer, "bare_insert", 0, sample)
        posts_only = rush(stack, args.customers, args.per_customer, "order_without_reopening", 60_000, sample)
    result = {"profile": profile.title, "threads": args.threads, "customers": args.customers, "per_customer": args.per_customer,
              "load_before": load_before, "load_after": loadavg(), "form": form, "bare": bare, "form_posts_only": posts_only,
              "server": read_traces(trace_dir)}
    result["cprofile"] = profile_figures(trace_dir, result["server"]) if args.cprofile else {}
    form_p95, bare_p95 = form["client"]["p95"], bare["client"]["p95"]
    result["ratio_p95"] = form_p95 / bare_p95
    result["ratio_p50"] = form["client"]["p50"] / bare["client"]["p50"]
    result["posts_only_ratio_p95"] = posts_only["client"]["p95"] / bare_p95
    result["posts_only_ratio_p50"] = posts_only["client"]["p50"] / bare["client"]["p50"]
    return result


def show(result: dict) -> str:
    lines = [f"## {result['profile']}: {result['customers']} customers × {result['per_customer']} posts at once"
             + (f", gunicorn {result['threads']} threads per process" if result.get("threads") else ""),
             f"load before {result['load_before']}, after {result['load_after']}", ""]
    for name in ("form", "bare", "form_posts_only"):
        r = result[name]
        c = r["client"]
        lines.append(f"{name:15} client p50 {c['p50']:7.1f} ms  p95 {c['p95']:7.1f} ms  p99 {c['p99']:7.1f} ms  (n {c['n']}); "
                     f"rush {r['wall_s']:.1f} s, web CPU {r['web_cpu_s']:.1f} s ({r['web_cpu_s'] / r['wall_s']:.2f} cores), "
                     f"machine busy {r['machine_busy_cores']:.2f} of {r['machine_cores']:.2f} cores; CPU s "
                     + ", ".join(f"{k} {v:.1f}" for k, v in r["cpu_s"].items()))
    lines.append(f"form ÷ bare: p50 {result['ratio_p50']:.2f} ×, p95 {result['ratio_p95']:.2f} × "
                 f"(the form's POSTs alone, no GET before each: p50 {result['posts_only_ratio_p50']:.2f} ×, "
                 f"p95 {result['posts_only_ratio_p95']:.2f} ×)")
    lines.append("")
    for kind, figures in sorted(result["server"].items()):
        s, q = figures["server"], figures["sql"]
        lines.append(f"server {kind:10} n {s['n']:4}  in-process p50 {s['p50']:7.1f} p95 {s['p95']:7.1f} ms;  SQL p50 "
                     f"{q['p50']:6.1f} p95 {q['p95']:6.1f} ms;  {figures['statements_per_request']:.1f} statements")
        opened = figures.get("opened_connection", {})
        if opened.get("n"):
            lines.append(f"    {opened['n']} of them opened the thread's database connection: p50 {opened['p50']:.1f}, "
                         f"max-ish p95 {opened['p95']:.1f} ms")
        if kind.startswith("POST"):
            for shape, st in list(figures["statements"].items())[:12]:
                lines.append(f"    {shape:40} {st['per_request']:4.1f} per request  {st['ms_per_request']:7.2f} ms per request")
    for name in ("form", "bare", "form_posts_only"):
        activity = result[name]["pg_activity"]
        if activity:
            lines.append(f"pg_stat_activity during the {name} rush ({activity['samples']} samples; backend-samples per state):")
            lines += [f"    {count:6}  {what}" for what, count in activity["waits"].items()]
            lines += [f"    lock wait {count:5}  {what}" for what, count in activity["lock_waiters"].items()]
            lines += [f"    idle in transaction after {count:5}  {what}" for what, count in activity["idle_in_transaction_after"].items()]
    for view, figures in result["cprofile"].items():
        lines += ["", f"cProfile of the {view}'s POSTs (every web thread; the profiler slows them): "
                  f"{figures['round_trips_per_post']:.1f} database round trips per POST", figures["top"]]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="production")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--per-customer", type=int, default=4)
    parser.add_argument("--threads", type=int, help="gunicorn threads per process (default: gunicorn.conf.py's)")
    parser.add_argument("--cprofile", action="store_true", help="cProfile the form's POSTs in the web processes")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--save", metavar="JSON", help="also write the figures to this file")
    args = parser.parse_args()
    result = measure(args.profile, args)
    if args.save:
        Path(args.save).write_text(json.dumps(result, indent=1))
    print(show(result))


if __name__ == "__main__":
    main()

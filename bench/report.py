"""`make bench`: every figure of docs/PERFORMANCE.md (and docs/performance.svg) from one run, each beside its
floor or its peer, on stacks started here on free loopback ports (PostgreSQL and Redis must be running).

Run: .venv/bin/python -m bench.report [--quick] [--redis redis://127.0.0.1:6379/3] [--postgres postgres://...]
[--wait-for-quiet MINUTES] [--chaos] [--batches]
The Redis database given is flushed before each stack that uses it. Issue 19's goal table (bench/targets.py)
heads the report; the chaos rush and bulk orders are measured only when asked for (their sections are kept as
published otherwise), and bench/sections/NN-*.md are added at the end as they are.
"""

import argparse
import json
import random
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from . import batches, chaos, keepalive, load
from .client import Customer, in_parallel
from .document import write_report
from .measure import Database, loadavg, machine, process_tree_memory, summary, versions
from .retry_wake import retry_start_after_due
from .stack import ROOT, Stack


@dataclass(frozen=True)
class Profile:
    key: str
    title: str
    web: str
    database: str  # sqlite | postgres
    queue: str  # orm | redis | celery


PROFILES = [
    Profile("demo", "runserver · SQLite · django-q2 ORM broker (the demo)", "runserver", "sqlite", "orm"),
    Profile("gunicorn-sqlite", "gunicorn · SQLite · django-q2 ORM broker", "gunicorn", "sqlite", "orm"),
    Profile("gunicorn-postgres-orm", "gunicorn · PostgreSQL · django-q2 ORM broker", "gunicorn", "postgres", "orm"),
    Profile("production", "gunicorn · PostgreSQL · django-q2 on Redis (the production profile)", "gunicorn", "postgres", "redis"),
    Profile("celery", "gunicorn · PostgreSQL · Celery on Redis, on_commit (the peer)", "gunicorn", "postgres", "celery"),
]


@dataclass(frozen=True)
class Sizes:
    sequential: int = 40  # form and bare posts, one customer
    concurrent: int = 50  # customers at once
    per_customer: int = 4  # posts each, at 50 at once
    pickups: int = 20  # orders placed one at a time, waited for, in each of `pickup_runs` runs
    pickup_runs: int = 3
    retries: int = 10  # retries timed against their due time (demo and production)
    retry_timeout_s: float = 120
    slow_orders: int = 6  # orders against the 0.5 s and 2 s shops
    throughput_rounds: int = 5  # orders = rounds × workers
    throughput_workers: tuple = (1, 2, 4, 8)
    callback_orders: int = 100
    load_customers: int = 100
    load_seconds: float = 60


QUICK = Sizes(sequential=5, concurrent=5, per_customer=2, pickups=3, pickup_runs=2, retries=2, retry_timeout_s=40,
              slow_orders=1, throughput_rounds=2, throughput_workers=(1, 2), callback_orders=10, load_customers=10, load_seconds=5)


@contextmanager
def profile_stack(profile: Profile, args, **environment):
    env = {"DJANGO_SETTINGS_MODULE": "bench.settings", "Q_WORKERS": 2, **environment}
    database = None
    if profile.database == "postgres":
        database = f"{args.database_prefix}{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        env.update(DATABASE_URL=f"{args.postgres}/{database}", DATABASE_CONN_MAX_AGE=60)
    if profile.queue in {"redis", "celery"}:
        redis.Redis.from_url(args.redis).flushdb()
        env["REDIS_URL"] = args.redis
    if profile.queue == "celery":
        env["BENCH_QUEUE"] = "celery"
    try:
        with Stack(f"report-{profile.key}", web=profile.web, clusters=0 if profile.queue == "celery" else 1,
                   celery_workers=2 if profile.queue == "celery" else 0, **env) as stack:
            yield stack
    finally:
        if database:
            with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if profile.queue in {"redis", "celery"}:
            redis.Redis.from_url(args.redis).flushdb()


def form_beside_bare(stack, sizes: Sizes) -> dict:
    customer = Customer(stack.web_url)
    customer.open_form()
    for n in range(3):  # warm up both views (imports, connections, caches)
        customer.order(10_000 + n)
        customer.bare_insert(n)
    form, bare = [], []
    for n in range(sizes.sequential):
        form.append(customer.order(20_000 + n)[0])
        bare.append(customer.bare_insert(n))
    customer.close()
    many = sizes.concurrent
    form_many = in_parallel(stack.web_url, many, sizes.per_customer, "order", start_number=30_000)
    bare_many = in_parallel(stack.web_url, many, sizes.per_customer, "bare_insert")
    return {"1": {"form": summary(form), "bare": summary(bare)},
            str(many): {"form": summary(form_many), "bare": summary(bare_many)}}


def one_at_a_time(stack, orders: int, timeout_s: float) -> list[dict]:
    """Orders placed one after another, each waited for until final; a random pause between them, so the
    orders do not fall in step with the broker's poll."""
    database, customer, placed = Database(stack), Customer(stack.web_url), []
    rng = random.Random(13)
    for n in range(orders):
        since = database.last_order_id()
        customer.order(40_000 + n)
        placed += database.wait_until_final(since, 1, timeout_s)
        time.sleep(rng.uniform(0.05, 0.3))
    customer.close()
    return placed


def latencies(orders: list[dict]) -> dict:
    done = [o for o in orders if o["started"] is not None]
    confirmed = [o for o in orders if o["confirmed"] is not None]
    return {
        "pickup": summary([o["started"] - o["created"] for o in done]),
        "attempt": summary([o["attempt_ms"] / 1000 for o in done if o["attempt_ms"] is not None]),
        "confirmation": summary([o["confirmed"] - o["created"] for o in confirmed]),
        "not_confirmed": len(orders) - len(confirmed),
    }


def memory(stack) -> dict:
    web = process_tree_memory(stack.web_process.pid)
    worker_roots = stack.cluster_processes or [p for p in stack.processes if p not in (stack.web_process,)][-1:]
    workers = [m for root in worker_roots for m in process_tree_memory(root.pid)]
    return {"web": web, "workers": workers}


def basic_suite(profile: Profile, args, sizes: Sizes, results: dict) -> dict:
    with profile_stack(profile, args) as stack:
        if "poll_s" not in results:
            results.update(stack_settings(stack))
        stack.configure_shop(latency_s=0)
        result = {"title": profile.title, "keepalive_web": keepalive.fresh_and_kept_ms(stack.web_url, "/bench/bare/")}
        if profile.key == "demo":
            result["keepalive_shop"] = keepalive.fresh_and_kept_ms(stack.shop_url, "/health")
        result["form"] = form_beside_bare(stack, sizes)
        # The orders just placed are still queued: pickup is measured on an empty queue, not behind them.
        result["backlog_drained_s"] = Database(stack).wait_until_drained(timeout_s=300)
        runs = [one_at_a_time(stack, sizes.pickups, timeout_s=30) for _ in range(sizes.pickup_runs)]
        result["pickup_runs"] = [latencies(run)["pickup"]["p50"] for run in runs]
        result["sequential"] = latencies([order for run in runs for order in run])
        result["memory"] = memory(stack)
        if profile.key in {"demo", "production"}:
            result["retry_lateness"] = retry_start_after_due(stack, sizes.retries, sizes.retry_timeout_s)
        if profile.key == "production":
            result.update(production_extras(stack, sizes))
        return result


def stack_settings(stack) -> dict:
    """The settings the stacks run with, as their own processes read them (the bench settings and the
    stack's environment; this process does not load Django's settings)."""
    code = ("import json; from django.conf import settings as s; print(json.dumps({'poll_s': s.Q_CLUSTER['poll'], "
            "'scheduler_tick_s': s.Q_SCHEDULER_TICK_S}))")
    return json.loads(stack.manage("shell", "-c", code, capture_output=True, text=True).stdout.strip().splitlines()[-1])


def wait_for_quiet(minutes: float) -> str:
    """Wait, at most `minutes`, until the 1-minute load average is under 1; the load when it stopped waiting."""
    deadline = time.monotonic() + minutes * 60
    while float(loadavg().split()[0]) >= 1 and time.monotonic() < deadline:
        print(f"waiting for a quiet machine: load {loadavg()}", flush=True)
        time.sleep(min(30, max(0.0, deadline - time.monotonic())))
    return loadavg()


def production_extras(stack, sizes: Sizes) -> dict:
    extras = {"slow_shops": {}}
    for latency in (0.5, 2):
        stack.configure_shop(latency_s=latency)
        extras["slow_shops"][str(latency)] = latencies(one_at_a_time(stack, sizes.slow_orders, timeout_s=latency * 3 + 30))
    extras["throughput"] = {}
    stack.configure_shop(latency_s=1)
    for workers in sizes.throughput_workers:
        stack.restart_clusters(Q_WORKERS=workers)
        time.sleep(3)  # the cluster's processes start
        extras["throughput"][str(workers)] = throughput(stack, workers * sizes.throughput_rounds, customers=min(2 * workers, 16))
    stack.restart_clusters(Q_WORKERS=2)
    stack.configure_shop(mode="callback", latency_s=1)
    time.sleep(3)
    extras["callback"] = throughput(stack, sizes.callback_orders, customers=16)
    stack.configure_shop(mode="sync", latency_s=0)
    started = time.time()
    timings = load.run(stack.web_url, sizes.load_customers, sizes.load_seconds)
    extras["load"] = {
        "customers": sizes.load_customers, "seconds": time.time() - started, "requests": len(timings),
        "errors": sum(not ok for _, _, ok in timings), "all": summary([s for _, s, ok in timings if ok]),
        "order": summary([s for kind, s, ok in timings if ok and kind == "order"]),
        "orders": sum(ok for kind, _, ok in timings if kind == "order"),
    }
    return extras


def throughput(stack, orders: int, customers: int) -> dict:
    database = Database(stack)
    since = database.last_order_id()
    in_parallel(stack.web_url, customers, -(-orders // customers), "order", start_number=50_000 + since)
    placed = database.wait_until_final(since, orders, timeout_s=orders * 2 + 60)
    confirmed = [o for o in placed if o["confirmed"] is not None]
    if len(confirmed) < 2:
        return {"orders": len(placed), "confirmed": len(confirmed), "per_s": 0.0}
    first = min(o["started"] or o["created"] for o in placed)
    window = max(o["confirmed"] for o in confirmed) - first
    placing = max(o["created"] for o in placed) - min(o["created"] for o in placed)
    return {"orders": len(placed), "confirmed": len(confirmed), "window_s": window,
            "per_s": len(confirmed) / window, "placed_per_s": len(placed) / placing if placing else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness, figures mean nothing")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3", help="flushed before and after each stack on Redis")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database-prefix", default="asyncpizza_bench_",
                        help="the PostgreSQL stacks' scratch databases are named this plus a random suffix")
    parser.add_argument("--profiles", default=",".join(p.key for p in PROFILES), help="the stacks to measure")
    parser.add_argument("--wait-for-quiet", type=float, default=0, metavar="MINUTES",
                        help="first wait until the 1-minute load average is under 1, at most this long")
    parser.add_argument("--chaos", action="store_true", help="also the chaos rush (bench/chaos.py), per broker")
    parser.add_argument("--chaos-minutes", type=float, default=3.0, help="the chaos rush's length, per broker")
    parser.add_argument("--batches", action="store_true", help="also bulk orders (bench/batches.py)")
    parser.add_argument("--output", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument("--figures", default=str(ROOT / "var" / "bench-report.json"),
                        help="where the run's figures are saved, for --render")
    parser.add_argument("--render", metavar="JSON", help="only write the report again from a run's saved figures")
    args = parser.parse_args()
    if args.render:
        print(write_report(json.loads(Path(args.render).read_text()), args.output))
        return
    sizes = QUICK if args.quick else Sizes()
    if args.wait_for_quiet:
        wait_for_quiet(args.wait_for_quiet)
    started, load_before = time.time(), loadavg()
    results = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)), "load_before": load_before,
               "machine": machine(), "versions": versions(), "sizes": sizes.__dict__,
               "quick": args.quick, "stock_server": keepalive.stock_beside_nodelay(), "profiles": {}}
    for profile in PROFILES:
        if profile.key in args.profiles.split(","):
            print(f"-- {profile.title}", flush=True)
            results["profiles"][profile.key] = basic_suite(profile, args, sizes, results)
    if args.chaos:
        chaos_minutes = 0.5 if args.quick else args.chaos_minutes
        print("-- chaos: cluster processes killed during a lunch rush", flush=True)
        results["chaos"] = [chaos.run("orm", chaos_minutes),
                            chaos.run("redis", chaos_minutes, redis_url=args.redis, postgres=args.postgres)]
    if args.batches or "batches" in args.profiles.split(","):
        print("-- bulk orders", flush=True)
        results["batches"] = batches.batch_suite(batches.QUICK if args.quick else batches.BatchSizes())
    results["load_after"], results["minutes"] = loadavg(), (time.time() - started) / 60
    figures = Path(args.figures)
    figures.parent.mkdir(parents=True, exist_ok=True)
    figures.write_text(json.dumps(results, indent=1, default=str))
    print(write_report(results, args.output))


if __name__ == "__main__":
    main()

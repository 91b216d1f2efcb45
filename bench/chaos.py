"""Chaos: a lunch rush while random processes of the worker cluster are killed (SIGKILL) every few seconds.

Customers order through the real form at a steady rate for `--minutes`; meanwhile a killer picks, every 2 to
`--kill-every` seconds, one process of the running cluster at random (an idle worker, a busy one, the
monitor, the pusher or the sentinel; bench/cluster_processes.py finds them) and kills it. The shop fails 10 %
of calls. Afterwards every order is waited for (bounded), and the figures are: orders, confirmed, failed,
still open, shop orders placed twice (the shop's ledger), mails (exactly one per final order?), and the
longest stall: the longest time during the rush in which orders were open and none was confirmed.

Run: .venv/bin/python -m bench.chaos [--minutes 3] [--broker orm|redis] [--redis redis://127.0.0.1:6379/3]
(make bench runs it too, for both brokers, in docs/PERFORMANCE.md).
"""

import argparse
import email
import email.policy
import json
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager

from trainer.simulation import FormCustomer, made_up_customer

from .cluster_processes import cluster_processes
from .measure import Database, loadavg
from .stack import Stack

WORKERS = 4
# Short django-q2 timeouts (a 3 s shop timeout, at most 5 s accepted by the policy): an attempt that was in
# flight in a killed worker goes on after its own retry (django-q2's `retry`, here 49 s) or the sweeps.
ENVIRONMENT = dict(Q_WORKERS=WORKERS, SHOP_TIMEOUT_S=3, SHOP_TIMEOUT_MAX_S=5, Q_TASK_MARGIN_S=5, Q_RETRY_MARGIN_S=5,
                   STORE_ORDER_BACKOFF_S=0.5, STORE_ORDER_BACKOFF_CAP_S=4, STORE_ORDER_MAX_ATTEMPTS=12)
KINDS = ["idle worker", "busy worker", "monitor", "pusher", "sentinel"]


@contextmanager
def chaos_stack(broker: str, redis_url: str, postgres: str | None):
    environment = dict(ENVIRONMENT)
    database = None
    if broker == "redis":
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        environment["REDIS_URL"] = redis_url
    if postgres:
        import psycopg

        database = f"asyncpizza_chaos_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        environment["DATABASE_URL"] = f"{postgres}/{database}"
    try:
        with Stack(f"chaos-{broker}", **environment) as stack:
            yield stack
    finally:
        if database:
            import psycopg

            with psycopg.connect(f"{postgres}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def pick(found, rng: random.Random) -> tuple[str, int] | None:
    candidates = {
        "idle worker": found.idle_next_in_line_worker(),
        "busy worker": next(iter(found.busy_workers()), None),
        "monitor": found.monitor,
        "pusher": found.pusher,
        "sentinel": found.sentinel,
    }
    kinds = [kind for kind in KINDS if candidates[kind]]
    if not kinds:
        return None
    kind = rng.choice(kinds)
    return kind, candidates[kind]


def run(broker: str = "orm", minutes: float = 3.0, orders_per_s: float = 1.0, kill_every_s: float = 6.0,
        redis_url: str = "redis://127.0.0.1:6379/3", postgres: str | None = None, seed: int = 16) -> dict:
    rng = random.Random(seed)
    with chaos_stack(broker, redis_url, postgres) as stack:
        stack.configure_shop(failure_rate=0.1, latency_s=0.2, seed=seed)
        database = Database(stack)
        customer = FormCustomer(stack.web_url)
        customer.submit(made_up_customer(0))  # warm up
        database.wait_until_final(0, 1, 60)
        since = database.last_order_id()
        kills, placed, stop = [], [], threading.Event()

        def killer():
            while not stop.wait(rng.uniform(2, kill_every_s)):
                found = cluster_processes(stack.cluster_processes[0].pid, workers=WORKERS)
                chosen = pick(found, rng)
                if chosen:
                    kind, pid = chosen
                    try:
                        os.kill(pid, signal.SIGKILL)
                        kills.append((time.time(), kind))
                    except ProcessLookupError:
                        pass

        thread = threading.Thread(target=killer, daemon=True)
        started = time.time()
        thread.start()
        number = 1
        while time.time() < started + minutes * 60:
            submission = customer.submit(made_up_customer(number))
            placed.append(submission.accepted)
            number += 1
            time.sleep(max(0.0, started + number / orders_per_s - time.time()))
        stop.set()
        thread.join()
        rush_ended = time.time()
        drained_s = database.wait_until_drained(timeout_s=240)
        orders = database.order_times(since)
        ledger = stack.shop_ledger()
        stats = stack.shop_stats()
        emails = [row[0] for row in database.rows(f"SELECT customer_email FROM orders_order WHERE id > {since}")]
        mails = mails_per_address(stack)
    confirmed = sorted(o["confirmed"] for o in orders if o["confirmed"] is not None)
    per_order = [mails.get(address, 0) for address in emails]
    return {
        "broker": broker,
        "database": "postgres" if postgres else "sqlite",
        "minutes": minutes,
        "orders": len(orders),
        "refused_by_the_form": placed.count(False),
        "confirmed": len(confirmed),
        "failed": sum(o["status"] == "failed" for o in orders),
        "open": sum(o["status"] not in {"confirmed", "failed", "cancelled"} for o in orders),
        "kills": dict(Counter(kind for _, kind in kills)),
        "shop_orders": len(ledger),
        "placed_twice": stats.get("duplicate_references", 0),
        "calls_repeated": sum(max(0, entry["received"] - 1) for entry in ledger),
        "mails": sum(per_order),
        "orders_with_one_mail": sum(n == 1 for n in per_order),
        "orders_with_more_mails": sum(n > 1 for n in per_order),
        "longest_stall_s": longest_stall(orders, started, rush_ended),
        "drained_after_rush_s": drained_s,
        "load": loadavg(),
    }


def longest_stall(orders: list[dict], start: float, end: float) -> float:
    """The longest time within [start, end] during which some order was open and none was confirmed."""
    moments = [start, *sorted(t for t in (o["confirmed"] for o in orders) if t is not None and start < t < end), end]
    longest = 0.0
    for a, b in zip(moments, moments[1:]):
        # Orders waiting at b that were placed before it: the stall in (a, b) began when the first of them
        # was placed, or at a.
        waiting = [o["created"] for o in orders if o["created"] < b and (o["confirmed"] is None or o["confirmed"] >= b)]
        if waiting:
            longest = max(longest, b - max(a, min(waiting)))
    return round(longest, 1)


def mails_per_address(stack) -> Counter:
    counts = Counter()
    for path in (stack.var_dir / "mail").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for address in message["To"].addresses:
            counts[address.addr_spec] += 1
    return counts


def describe(result: dict) -> str:
    r = result
    return (f"{r['broker']} broker on {r['database']}, {r['minutes']:g} min, kills {r['kills']}: {r['orders']} orders, "
            f"{r['confirmed']} confirmed, {r['failed']} failed, {r['open']} still open; placed twice at the shop: "
            f"{r['placed_twice']} ({r['calls_repeated']} repeated calls absorbed by the idempotency key); mails "
            f"{r['mails']} ({r['orders_with_one_mail']} orders with exactly one, {r['orders_with_more_mails']} with more); "
            f"longest stall {r['longest_stall_s']} s; all final {r['drained_after_rush_s']:.0f} s after the rush")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--orders-per-s", type=float, default=1.0)
    parser.add_argument("--kill-every", type=float, default=6.0, help="at most this many seconds between kills")
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--postgres", help="postgres://... (default: SQLite)")
    args = parser.parse_args()
    result = run(args.broker, args.minutes, args.orders_per_s, args.kill_every, args.redis, args.postgres)
    print(json.dumps(result, indent=1))
    print(describe(result))


if __name__ == "__main__":
    main()

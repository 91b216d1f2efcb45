"""Figures for the shop's callback mode (asynchronous integration), over loopback against the real stack:
orders placed through the form while the shop acknowledges at once, decides 2 s later, calls back signed,
and loses a fifth of its acknowledgements (the app's retry repeats the key).

Run: .venv/bin/python -m bench.callback_mode [--orders 30]

With --throughput: orders confirmed per second against a shop deciding in 1 s (no faults), as `make bench`
measures it (16 customers at once, 2 workers), on the demo stack or the production profile (--profile, which
needs PostgreSQL and Redis; --redis is flushed). --history N first fills the task history with N old
successful task records, as a day of orders leaves it.

    .venv/bin/python -m bench.callback_mode --throughput --orders 100 [--history 5000] [--profile production]
"""

import argparse
import time
from collections import Counter

from trainer.figures import percentile
from trainer.simulation import FormCustomer, made_up_customer

from .measure import loadavg
from .report import PROFILES, profile_stack, throughput
from .stack import Stack


HISTORY_CODE = """
from datetime import timedelta
from uuid import uuid4
from django.utils import timezone
from django_q.models import Success
long_ago = timezone.now() - timedelta(days=1)
Success.objects.bulk_create([
    Success(id=uuid4().hex, name=f"old task {n}", func="workflow.attempt.store_order_task", args=(n,), kwargs={},
            result="attempt 1: accepted", group=f"order {n}", started=long_ago, stopped=long_ago, success=True)
    for n in range(%d)
], batch_size=500)
"""


def fill_task_history(stack, records: int) -> None:
    """`records` old successful task records in the stack's database (django-q2's Success), in its own process."""
    stack.manage("shell", "-c", HISTORY_CODE % records, capture_output=True)


def callback_throughput(stack, *, orders: int, history: int = 0) -> dict:
    """bench.report's throughput in callback mode against a shop deciding in 1 s: {"orders", "confirmed",
    "window_s", "per_s", "placed_per_s"}."""
    if history:
        fill_task_history(stack, history)
    stack.configure_shop(mode="callback", latency_s=1)
    time.sleep(3)  # as make bench: the cluster settles
    return throughput(stack, orders, customers=16)


def measure_throughput(*, orders: int, history: int, profile_key: str, redis: str, postgres: str) -> dict:
    """callback_throughput on a stack of its own (bench.report's profile, 2 workers), with the load."""
    profile = next(p for p in PROFILES if p.key == profile_key)
    load_before = loadavg()
    with profile_stack(profile, argparse.Namespace(redis=redis, postgres=postgres)) as stack:
        figures = callback_throughput(stack, orders=orders, history=history)
    return {**figures, "history": history, "profile": profile.title, "load_before": load_before, "load_after": loadavg()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=30)
    parser.add_argument("--throughput", action="store_true", help="orders/s confirmed against a 1 s shop")
    parser.add_argument("--history", type=int, default=0, help="old task records first (with --throughput)")
    parser.add_argument("--profile", default="demo", help="bench.report's profile key (with --throughput)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    if args.throughput:
        figures = measure_throughput(orders=args.orders, history=args.history, profile_key=args.profile,
                                     redis=args.redis, postgres=args.postgres)
        print(f"\n## Callback mode, a 1 s shop: {figures['profile']}, {args.history} old task records first")
        print(f"{figures['confirmed']} of {figures['orders']} confirmed in {figures.get('window_s', 0):.1f} s: "
              f"{figures['per_s']:.1f} orders/s (placed at {figures.get('placed_per_s') or 0:.1f}/s); "
              f"load before {figures['load_before']}, after {figures['load_after']}")
        return
    with Stack("callback-mode", SHOP_CALLBACK_DEADLINE_S=20) as stack:
        stack.configure_shop(mode="callback", latency_s=2, lost_response_rate=0.2, seed=8)
        customer = FormCustomer(stack.web_url)
        started = time.monotonic()
        submissions = [customer.submit(made_up_customer(n)) for n in range(args.orders)]
        deadline = time.monotonic() + 180
        statuses = {}
        while time.monotonic() < deadline:
            statuses = {s.location: customer.status(s.location) for s in submissions if s.accepted}
            if all(status in {"confirmed", "failed"} for status in statuses.values()):
                break
            time.sleep(1)
        elapsed = time.monotonic() - started
        stats, ledger = stack.shop_stats(), stack.shop_ledger()
    waits = [s.waited_s * 1000 for s in submissions]
    print(f"\n## Callback mode: {args.orders} orders, the shop deciding in 2 s, 20 % of acknowledgements lost")
    print(f"form answered: median {percentile(waits, 0.5):.0f} ms, p95 {percentile(waits, 0.95):.0f} ms")
    print(f"orders: {dict(Counter(statuses.values()))}, all final after {elapsed:.0f} s")
    print(f"shop: {stats['ledger_size']} ledger entries ({dict(Counter(e['status'] for e in ledger))}), "
          f"{stats['acknowledged']} acknowledged, {stats['replayed']} repeats answered without a new order, "
          f"{stats['lost_response']} acknowledgements lost")
    print(f"callbacks: {stats['callbacks_sent']} delivered, {stats['callback_failures']} failed tries, "
          f"{stats['callbacks_abandoned']} abandoned; duplicate references at the shop: {stats['duplicate_references']}")


if __name__ == "__main__":
    main()

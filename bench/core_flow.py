"""Figures for the core order flow, measured over loopback against the real stack:

1. the order form's response time while the shop takes 2 s a call;
2. how many of 50 orders end confirmed against a shop failing 30 % of calls, and how many shop orders
   they made (the ledger), with the attempts it took.

Run: .venv/bin/python -m bench.core_flow [--orders 50]
"""

import argparse
import sqlite3
import statistics
import time

from trainer.figures import percentile
from trainer.simulation import FormCustomer

from .stack import Stack

FINAL = {"confirmed", "failed"}


def order(customer: FormCustomer, n: int):
    submission = customer.submit({
        "pizza": "margherita", "size": "medium", "quantity": 1,
        "name": f"Bench customer {n}", "email": f"bench{n}@example.com", "address": f"{n} Benchmark Road",
    })
    if not submission.accepted:
        raise RuntimeError(f"order {n} was not accepted: {submission.error}")
    return submission.waited_s, submission.location


def wait_for_final(customer, locations, timeout):
    deadline = time.monotonic() + timeout
    statuses = {}
    while time.monotonic() < deadline:
        statuses = {location: customer.status(location) for location in locations}
        if all(status in FINAL for status in statuses.values()):
            break
        time.sleep(1)
    return statuses


def form_while_shop_is_slow(orders: int):
    with Stack("slow-shop") as stack:
        stack.configure_shop(latency_s=2)
        customer = FormCustomer(stack.web_url)
        started = time.monotonic()
        timings, locations = zip(*(order(customer, n) for n in range(orders)))
        statuses = wait_for_final(customer, locations, timeout=orders * 2 + 120)
        print(f"\n## The form while the shop takes 2 s a call ({orders} orders)")
        print(f"form response: median {statistics.median(timings) * 1000:.0f} ms, "
              f"p95 {percentile(timings, 0.95) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")
        confirmed = sum(status == "confirmed" for status in statuses.values())
        print(f"confirmed: {confirmed}/{orders}, all final after {time.monotonic() - started:.0f} s "
              f"(2 workers, 2 s a call)")


def flaky_shop(orders: int):
    with Stack("flaky-shop") as stack:
        stack.configure_shop(failure_rate=0.3)
        customer = FormCustomer(stack.web_url)
        started = time.monotonic()
        locations = [order(customer, n)[1] for n in range(orders)]
        statuses = wait_for_final(customer, locations, timeout=300)
        elapsed = time.monotonic() - started
        ledger = stack.shop_ledger()
        stats = stack.shop_stats()
        confirmed = sum(status == "confirmed" for status in statuses.values())
        failed = sum(status == "failed" for status in statuses.values())
        print(f"\n## {orders} orders against a shop failing 30 % of calls (3 attempts, 1 s backoff)")
        print(f"confirmed: {confirmed}, failed: {failed}, still open: {orders - confirmed - failed}")
        print(f"shop orders placed (ledger entries): {len(ledger)}; calls that reached the shop: "
              f"{sum(entry['received'] for entry in ledger)} accepted, {stats.get('failed_injected')} injected failures; "
              f"duplicate references: {stats.get('duplicate_references')}")
        print(f"all final after {elapsed:.0f} s")
        lateness = retry_lateness(stack.var_dir / "app.sqlite3")
        if lateness:
            print(f"retries started after their due time by: median {statistics.median(lateness) * 1000:.0f} ms, "
                  f"max {max(lateness) * 1000:.0f} ms ({len(lateness)} retries; scheduler tick 0.5 s)")


def retry_lateness(database) -> list[float]:
    """Seconds between a retry's due time and its start: the scheduler tick plus the wait for a worker."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT (julianday(started_at) - julianday(due_at)) * 86400 FROM workflow_storeattempt WHERE number > 1"
        ).fetchall()
    return [seconds for (seconds,) in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=50)
    args = parser.parse_args()
    form_while_shop_is_slow(args.orders)
    flaky_shop(args.orders)


if __name__ == "__main__":
    main()

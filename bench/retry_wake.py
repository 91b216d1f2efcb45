"""How late a retry starts after it is due, on a running stack (bench.stack.Stack).

Each order is placed while the shop answers every call 503 (its `failure_rate` knob at 1: a transient
failure, so the order waits for a retry); once its first attempt has failed, the shop is healed, and the
order's later attempts are read back. A retry's attempt row keeps when it was due (`due_at`, the order's
`next_attempt_at`) beside when a worker started it (`started_at`): the difference is what the customer waits
beyond the back-off itself. One order at a time, so retries never queue behind each other.

Run alone: .venv/bin/python -m bench.retry_wake [--retries 10]   (the demo's stack)
"""

import argparse
import time

from .client import Customer
from .measure import Database, summary
from .stack import Stack

FINAL = ("confirmed", "failed", "cancelled")


def retry_start_after_due(stack, retries: int = 10, timeout_s: float = 120) -> dict:
    """{"n", "p50", "p95", "p99"} in ms: retries' start after their due time. Stops early (fewer retries) when
    `timeout_s` is spent, so a stack whose retries start very late still answers in bounded time."""
    database, customer = Database(stack), Customer(stack.web_url)
    deadline = time.monotonic() + timeout_s
    late = []
    try:
        for n in range(retries):
            stack.configure_shop(failure_rate=1.0)
            since = database.last_order_id()
            customer.order(60_000 + n)
            order_id = _wait_for(database, f"SELECT id FROM orders_order WHERE id > {since} AND status = 'waiting_retry'", deadline)
            stack.configure_shop(failure_rate=0.0)
            if order_id is None:
                break
            order_id = int(order_id)
            if _wait_for(database, f"SELECT id FROM orders_order WHERE id = {order_id} AND status IN {FINAL}", deadline) is None:
                break
            e = database.epoch
            late += [seconds for (seconds,) in database.rows(
                f"SELECT {e('started_at')} - {e('due_at')} FROM workflow_storeattempt WHERE order_id = {order_id} AND number > 1")]
    finally:
        stack.configure_shop(failure_rate=0.0)
        customer.close()
    return summary(late)


def _wait_for(database: Database, sql: str, deadline: float):
    """The first value `sql` finds, polled until `deadline`; None if it found nothing by then."""
    while time.monotonic() < deadline:
        found = database.rows(sql)
        if found:
            return found[0][0]
        time.sleep(0.05)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--retries", type=int, default=10)
    args = parser.parse_args()
    with Stack("retry-wake", Q_WORKERS=2) as stack:
        print(retry_start_after_due(stack, args.retries))


if __name__ == "__main__":
    main()

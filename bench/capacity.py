"""Figures for issue 12, over loopback against the real stack (web, shop simulator, worker cluster):

1. `manage.py scenario slow` and one order through the form, in the default demo: how long the form took,
   how long to the confirmation, how many calls the shop received;
2. `manage.py policy --attempts 7` in the running stack: the next order's attempt budget (no restart);
3. the lunch rush (`manage.py scenario lunch-rush`: 20 customers at once against a 5 s shop): time to
   confirmation by position in the queue, for each worker count given;
4. the memory of the cluster's processes (PSS, what each really adds; RSS for reference) for each count.

Run: .venv/bin/python -m bench.capacity [--workers 2 4 8] [--skip-slow]
"""

import argparse
import json
import time
from pathlib import Path

from trainer.simulation import FormCustomer, made_up_customer

from .stack import Stack

READ_ORDERS = """
import json
from orders.models import Order
rows = [{"created": o.created_at.timestamp(), "sent": o.first_sent_at and o.first_sent_at.timestamp(),
         "confirmed": o.confirmed_at and o.confirmed_at.timestamp(), "status": o.status,
         "attempts": o.attempts_made, "limit": o.attempt_limit} for o in Order.objects.order_by("created_at")]
print(json.dumps(rows))
"""


def read_orders(stack: Stack) -> list[dict]:
    output = stack.manage("shell", "-c", READ_ORDERS, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])  # the last line: anything logged comes before


def wait_for(predicate, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"not done after {timeout} s")


def slow_and_policy():
    print("\n## `scenario slow`, then one order, in the default demo")
    with Stack("capacity-slow") as stack:
        stack.manage("scenario", "slow", capture_output=True)
        customer = FormCustomer(stack.web_url)
        submission = customer.submit(made_up_customer(1))
        started = time.monotonic() - submission.waited_s
        wait_for(lambda: customer.status(submission.location) in {"confirmed", "failed"}, timeout=120, interval=0.25)
        to_final = time.monotonic() - started
        [order] = read_orders(stack)
        [entry] = stack.shop_ledger()
        print(f"form answered in {submission.waited_s * 1000:.0f} ms; {order['status']} {to_final:.1f} s after the "
              f"button ({order['confirmed'] - order['created']:.1f} s in the database), after {order['attempts']} "
              f"attempt(s); the shop received {entry['received']} call(s) for it")

        print("\n## `policy --attempts 7` in the running stack (no restart)")
        stack.manage("scenario", "happy", capture_output=True)
        stack.manage("policy", "--attempts", "7", capture_output=True)
        second = customer.submit(made_up_customer(2))
        wait_for(lambda: customer.status(second.location) == "confirmed", timeout=30)
        print(f"the next order's attempt budget: {read_orders(stack)[-1]['limit']} (the environment's default: 13)")


def cluster_memory(stack: Stack) -> dict:
    """PSS and RSS (MiB) of the qcluster process tree: the main process, and each child."""
    cluster = next(p for p in stack.processes if "qcluster" in " ".join(p.args))
    tree = [cluster.pid, *_descendants(cluster.pid)]
    figures = {pid: _memory(pid) for pid in tree}
    return {pid: value for pid, value in figures.items() if value}


def _descendants(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return [descendant for child in children for descendant in [child, *_descendants(child)]]


def _memory(pid: int) -> tuple[float, float] | None:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return None
    values = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:]}
    return values["Pss"] / 1024, values["Rss"] / 1024


def lunch_rush(workers: int):
    with Stack(f"capacity-rush-{workers}", Q_WORKERS=workers) as stack:
        time.sleep(3)  # the cluster forks its workers
        memory = cluster_memory(stack)
        stack.manage("scenario", "lunch-rush", capture_output=True)
        orders = wait_for(
            lambda: (rows := read_orders(stack)) and len(rows) == 20 and all(r["status"] == "confirmed" for r in rows) and rows,
            timeout=300, interval=1,
        )
        time.sleep(2)  # the mails
        after = cluster_memory(stack)  # the workers have run tasks: what they hold in use
    first = min(order["created"] for order in orders)
    waits = sorted(order["confirmed"] - order["created"] for order in orders)
    span = max(order["confirmed"] for order in orders) - first
    pss = sorted(value[0] for value in memory.values())
    print(f"\n### Q_WORKERS={workers}")
    print(f"placed within {max(o['created'] for o in orders) - first:.1f} s; all 20 confirmed after {span:.1f} s: "
          f"{20 / span:.2f} orders/s (workers ÷ 5 s = {workers / 5:.2f})")
    print("time to confirmation by position in the queue (s): " + ", ".join(f"{w:.0f}" for w in waits))
    print(f"first {waits[0]:.1f} s, median {waits[9]:.1f} s, last {waits[-1]:.1f} s; "
          f"attempts per order: {sorted({o['attempts'] for o in orders})}")
    print(f"cluster processes at start: {len(memory)}, PSS total {sum(pss):.0f} MiB (each: "
          + ", ".join(f"{v:.0f}" for v in pss) + f"), RSS total {sum(v[1] for v in memory.values()):.0f} MiB")
    used = sorted(value[0] for value in after.values())
    print(f"after the rush: PSS total {sum(used):.0f} MiB (each: " + ", ".join(f"{v:.0f}" for v in used)
          + f"), RSS total {sum(v[1] for v in after.values()):.0f} MiB")
    return sum(used)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--skip-slow", action="store_true")
    args = parser.parse_args()
    if not args.skip_slow:
        slow_and_policy()
    print("\n## Lunch rush: 20 customers at once, the shop taking 5 s a call")
    totals = {workers: lunch_rush(workers) for workers in args.workers}
    if len(totals) > 1:
        low, high = min(totals), max(totals)
        print(f"\nmemory per extra worker (PSS after the rush): {(totals[high] - totals[low]) / (high - low):.1f} MiB")


if __name__ == "__main__":
    main()

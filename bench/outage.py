"""A 60 s shop outage under the default retry policy, over loopback against the real stack: the shop goes
down for 60 s (`down_for_s`) and comes back by itself; customers order through the form all through the
outage. Prints confirmed/total, the policy in force, what the status page promised, and how long after the
shop's return the last order was confirmed.

Run: .venv/bin/python -m bench.outage [--orders 20] [--outage 60]
"""

import argparse
import re
import subprocess
import time
from collections import Counter

import requests

from trainer.simulation import FormCustomer, made_up_customer

from .stack import Stack

PROMISE = re.compile(r"The shop is not answering; we keep trying until (?:<time[^>]*>)?([0-9:]+)")


def describe_policy(stack) -> str:
    try:
        return stack.manage("policy", capture_output=True, text=True).stdout.strip()
    except subprocess.CalledProcessError:  # before `manage.py policy` existed: the environment's policy
        env = stack.env
        return (f"STORE_ORDER_MAX_ATTEMPTS={env.get('STORE_ORDER_MAX_ATTEMPTS', 'default')}, "
                f"STORE_ORDER_BACKOFF_S={env.get('STORE_ORDER_BACKOFF_S', 'default')}, "
                f"STORE_ORDER_BACKOFF_CAP_S={env.get('STORE_ORDER_BACKOFF_CAP_S', 'default')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds the shop is down")
    args = parser.parse_args()
    # No policy variables: the defaults (or the live policy `manage.py policy` keeps) are what is measured.
    with Stack("outage") as stack:
        policy = describe_policy(stack)
        stack.configure_shop(down_for_s=args.outage)
        started = time.monotonic()
        customer = FormCustomer(stack.web_url)
        submissions, promises = [], []
        spacing = 0.85 * args.outage / max(args.orders, 1)  # every order placed while the shop is down
        for number in range(args.orders):
            submissions.append(customer.submit(made_up_customer(number)))
            time.sleep(spacing)
        back_at = started + args.outage
        # What the status page of the first order says while the shop is still down.
        for submission in submissions[:1]:
            page = requests.get(f"{stack.web_url}{submission.location}", timeout=10).text
            promises += PROMISE.findall(page)
        deadline = time.monotonic() + args.outage + 900
        statuses, last_confirmed = {}, None
        while time.monotonic() < deadline:
            statuses = {s.location: customer.status(s.location) for s in submissions if s.accepted}
            if all(status in {"confirmed", "failed", "cancelled"} for status in statuses.values()):
                last_confirmed = time.monotonic()
                break
            time.sleep(1)
        ledger = stack.shop_ledger()
    counts = Counter(statuses.values())
    placed = sum(s.accepted for s in submissions)
    print(f"\n## Shop outage: down for {args.outage:.0f} s, {args.orders} orders placed during it")
    print(f"policy: {policy}")
    print(f"status page during the outage: \"The shop is not answering; we keep trying until {promises[0] if promises else '?'}\"")
    print(f"orders placed during the outage: confirmed {counts['confirmed']}/{placed}, failed {counts['failed']}/{placed}, "
          f"not final {placed - sum(counts[s] for s in ('confirmed', 'failed', 'cancelled'))}")
    if last_confirmed:
        print(f"all final {last_confirmed - back_at:.0f} s after the shop came back")
    print(f"shop ledger: {len(ledger)} entries for {placed} orders")


if __name__ == "__main__":
    main()

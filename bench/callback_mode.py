"""Figures for the shop's callback mode (asynchronous integration), over loopback against the real stack:
orders placed through the form while the shop acknowledges at once, decides 2 s later, calls back signed,
and loses a fifth of its acknowledgements (the app's retry repeats the key).

Run: .venv/bin/python -m bench.callback_mode [--orders 30]
"""

import argparse
import time
from collections import Counter

from trainer.figures import percentile
from trainer.simulation import FormCustomer, made_up_customer

from .stack import Stack


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=30)
    args = parser.parse_args()
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

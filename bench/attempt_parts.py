"""Where an attempt's time goes, on the demo stack (runserver · SQLite · django-q2's ORM broker), a 0 s shop:

1. the shop's handler alone: POST /orders straight to the shop simulator, one new idempotency key a call, on
   one kept-alive connection with TCP_NODELAY (what the ShopClient's session does, without the app);
2. the attempt: the store step's own measure (its StoreAttempt's start to end: the claim's commit, the call,
   reading the answer), for orders placed one at a time through the form, each waited for;
3. confirmed after: from the order's commit to its confirmation (pickup, the attempt, the final write).

The shop's handler is part of every figure after it; the difference is the app's own share.

Run: .venv/bin/python -m bench.attempt_parts [--orders 40] [--calls 200] [--markdown FILE]
"""

import argparse
import http.client
import json
import socket
import time
import uuid
from urllib.parse import urlsplit

from .measure import loadavg, summary
from .report import latencies, one_at_a_time
from .stack import Stack


def an_order_body(reference: str) -> bytes:
    """A valid order for the shop, as the store step sends it (workflow.attempt.shop_payload)."""
    return json.dumps({
        "reference": reference,
        "items": [{"pizza": "margherita", "size": "medium", "quantity": 1}],
        "customer": {"name": "Bench customer", "address": "1 Bench Road"},
        "total": "12.00",
    }).encode()


def shop_handler_seconds(shop_url: str, api_key: str, calls: int) -> list[float]:
    """Seconds of `calls` new orders POSTed to the shop one after another on one kept-alive TCP_NODELAY
    connection, from sending to the last byte of the answer (the first call, which connects, untimed)."""
    parts = urlsplit(shop_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    seconds = []
    try:
        for n in range(calls + 1):
            key = str(uuid.uuid4())
            headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": key, "Content-Type": "application/json"}
            started = time.perf_counter()
            connection.request("POST", "/orders", body=an_order_body(key), headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            if response.status != 201:
                raise RuntimeError(f"the shop answered {response.status} to a new order")
            if n:
                seconds.append(elapsed)
    finally:
        connection.close()
    return seconds


def attempt_parts(stack: Stack, *, orders: int, calls: int) -> dict:
    """The three figures on a running stack whose shop answers at once: {"shop_handler", "pickup", "attempt",
    "confirmation", "not_confirmed"}, each a bench.measure.summary (ms)."""
    stack.configure_shop(mode="sync", latency_s=0, failure_rate=0, lost_response_rate=0)
    one_at_a_time(stack, 3, timeout_s=30)  # warm up: imports, connections, the worker's session to the shop
    handler = summary(shop_handler_seconds(stack.shop_url, stack.env["SHOP_API_KEY"], calls))
    return {"shop_handler": handler, **latencies(one_at_a_time(stack, orders, timeout_s=30))}


def measure(*, orders: int = 40, calls: int = 200) -> dict:
    """attempt_parts on a demo stack of its own (2 workers, as `make bench`), with the load before and after."""
    load_before = loadavg()
    with Stack("attempt-parts", DJANGO_SETTINGS_MODULE="bench.settings", Q_WORKERS=2) as stack:
        figures = attempt_parts(stack, orders=orders, calls=calls)
    return {**figures, "orders": orders, "calls": calls, "load_before": load_before, "load_after": loadavg()}


def _row(name: str, figures: dict) -> str:
    return f"| {name} | {figures['n']} | {figures['p50']:.1f} | {figures['p95']:.1f} |"


def section(figures: dict) -> str:
    """One run's figures as a Markdown table (what `--markdown` writes)."""
    return "\n".join([
        "| part (demo stack, 0 s shop) | n | p50 ms | p95 ms |",
        "| --- | --- | --- | --- |",
        _row("the shop's handler alone (POST /orders, kept-alive, TCP_NODELAY)", figures["shop_handler"]),
        _row("pickup (commit → the attempt's start)", figures["pickup"]),
        _row("an attempt (its start → its end)", figures["attempt"]),
        _row("confirmed after (commit → confirmed)", figures["confirmation"]),
        "",
        f"Load average before {figures['load_before']}, after {figures['load_after']}; "
        f"{figures['calls']} calls to the shop, {figures['orders']} orders one at a time "
        "(`.venv/bin/python -m bench.attempt_parts`).",
    ]) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=40, help="orders placed one at a time through the form")
    parser.add_argument("--calls", type=int, default=200, help="calls straight to the shop's handler")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table to FILE")
    args = parser.parse_args()
    figures = measure(orders=args.orders, calls=args.calls)
    text = section(figures)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as output:
            output.write(text)


if __name__ == "__main__":
    main()

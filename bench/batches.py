"""Bulk orders (POST /api/order-batches), measured: the 202's time for 1,000 and 10,000 rows beside one
order's POST (the peer: what the caterer would otherwise send, row by row), rows staged -> placed per second,
the time until every order of a 1,000-row batch is confirmed against a 0 s shop, a customer's order placed
during that batch beside one placed on an idle stack, and the worker cluster's memory during a 10,000-row batch.

Run alone: .venv/bin/python -m bench.batches [--quick] [--json FILE]   (`make bench` runs it too: bench.report)
Each stack is the demo's (runserver, SQLite, django-q2's ORM broker, 2 workers) on free loopback ports.
"""

import argparse
import json
import statistics
import time
from dataclasses import dataclass

import requests

from .client import Customer
from .measure import Database, loadavg, process_tree_memory, summary
from .stack import Stack

HEADER = "pizza,size,quantity,name,email,address"


@dataclass(frozen=True)
class BatchSizes:
    small: int = 1_000
    big: int = 10_000
    staging_repeats: int = 5  # 202s measured per size
    walk_ins: int = 5  # single orders placed one at a time, idle and during the 1,000-row batch
    big_wait_s: float = 1200  # how long the memory of the big batch is followed, at most


QUICK = BatchSizes(small=100, big=500, staging_repeats=2, walk_ins=2, big_wait_s=300)


def batch_body(rows: int, first: int = 0) -> bytes:
    orders = [{"pizza": "margherita", "size": "medium", "quantity": 1 + n % 3,
               "customer": {"name": f"Guest {n}", "email": f"guest{n}@example.com", "address": f"{n} Banquet Hall"}}
              for n in range(first, first + rows)]
    return json.dumps({"orders": orders}).encode()


def post_batch(stack, body: bytes) -> tuple[float, dict]:
    """One POST on a fresh connection (as a caterer's script would send it): seconds to the last byte, answer."""
    started = time.perf_counter()
    response = requests.post(f"{stack.web_url}/api/order-batches", data=body,
                             headers={"Content-Type": "application/json"}, timeout=120)
    seconds = time.perf_counter() - started
    if response.status_code != 202:
        raise RuntimeError(f"the batch was answered {response.status_code}: {response.text[:300]}")
    return seconds, response.json()


def post_single(stack, n: int) -> float:
    body = json.loads(batch_body(1, first=900_000 + n))["orders"][0]
    started = time.perf_counter()
    response = requests.post(f"{stack.web_url}/api/orders", json=body, timeout=30)
    seconds = time.perf_counter() - started
    if response.status_code != 202:
        raise RuntimeError(f"the order was answered {response.status_code}: {response.text[:300]}")
    return seconds


def staging(sizes: BatchSizes) -> dict:
    """The 202s, on a stack with no worker cluster: staging alone, no transform competing for the cores."""
    with Stack("batches-staging", clusters=0) as stack:
        post_batch(stack, batch_body(10))  # warm up
        singles = [post_single(stack, n) for n in range(10)]
        figures = {"single_order": summary(singles)}
        for rows in (sizes.small, sizes.big):
            body = batch_body(rows)
            figures[str(rows)] = {**summary([post_batch(stack, body)[0] for _ in range(sizes.staging_repeats)]),
                                  "bytes": len(body)}
        return figures


def batch_times(database: Database, batch_id: str) -> dict:
    e = database.epoch
    [(created, started, transformed, finished, rows, status)] = database.rows(
        f"SELECT {e('created_at')}, {e('started_at')}, {e('transformed_at')}, {e('finished_at')}, row_count, status "
        f"FROM batches_orderbatch WHERE public_id = '{batch_id.replace('-', '')}' OR public_id = '{batch_id}'")
    [(last_confirmed, confirmed)] = database.rows(
        f"SELECT MAX({e('o.confirmed_at')}), COUNT(o.confirmed_at) FROM batches_batchrow r JOIN orders_order o "
        f"ON o.id = r.order_id JOIN batches_orderbatch b ON b.id = r.batch_id "
        f"WHERE b.public_id = '{batch_id.replace('-', '')}' OR b.public_id = '{batch_id}'")
    return {"created": created, "started": started, "transformed": transformed, "finished": finished, "rows": rows,
            "status": status, "last_confirmed": last_confirmed, "confirmed": confirmed}


def placed_rows(database: Database, batch_id: str) -> int:
    return int(database.rows(
        "SELECT COUNT(*) FROM batches_batchrow r JOIN batches_orderbatch b ON b.id = r.batch_id WHERE r.status != 'staged' "
        f"AND (b.public_id = '{batch_id.replace('-', '')}' OR b.public_id = '{batch_id}')")[0][0])


def wait_for_batch(database: Database, batch_id: str, timeout_s: float, *, every=None) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        times = batch_times(database, batch_id)
        if times["finished"] is not None:
            return times
        if every:
            every()
        time.sleep(0.5)
    return batch_times(database, batch_id)


def confirmation_s(database: Database, customer: Customer, number: int, timeout_s: float = 60) -> float | None:
    """One order through the form, waited for: seconds from its creation to its confirmation."""
    customer.order(number)
    e, deadline = database.epoch, time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        [(created, confirmed, status)] = database.rows(
            f"SELECT {e('created_at')}, {e('confirmed_at')}, status FROM orders_order "
            f"WHERE customer_email = 'bench{int(number)}@example.com'")
        if status in {"confirmed", "failed"}:
            return None if confirmed is None else confirmed - created
        time.sleep(0.05)
    return None


def transform(sizes: BatchSizes) -> dict:
    with Stack("batches-transform", Q_WORKERS=2) as stack:
        stack.configure_shop(latency_s=0)
        database, customer = Database(stack), Customer(stack.web_url)
        idle = [confirmation_s(database, customer, 70_000 + n) for n in range(sizes.walk_ins)]
        database.wait_until_drained(timeout_s=60)

        _, answer = post_batch(stack, batch_body(sizes.small))
        during = []
        while len(during) < sizes.walk_ins:  # customers ordering one after another while the batch is placed
            during.append(confirmation_s(database, customer, 71_000 + len(during)))
        small = wait_for_batch(database, answer["id"], timeout_s=sizes.small * 0.5 + 120)
        database.wait_until_drained(timeout_s=120)
        during_overlapped = small["last_confirmed"] is not None and small["transformed"] is not None

        # The big batch: the cluster's memory every 2 s from the 202 until every order is final.
        samples = []

        def sample():
            workers = [m for process in stack.cluster_processes for m in process_tree_memory(process.pid)]
            samples.append((time.monotonic(), sum(rss for rss, _ in workers), sum(pss for _, pss in workers), len(workers)))

        sample()
        _, answer = post_batch(stack, batch_body(sizes.big, first=100_000))
        last = [0.0]

        def every():
            if time.monotonic() - last[0] >= 2:
                last[0] = time.monotonic()
                sample()

        # Bounded: on a loaded 2-core machine the workers place about 10 rows a second; the figures say how far it got.
        big = wait_for_batch(database, answer["id"], timeout_s=sizes.big_wait_s, every=every)
        big["placed"] = placed_rows(database, answer["id"])
        sample()
        customer.close()
        return {"idle": summary([s for s in idle if s is not None]), "during": summary([s for s in during if s is not None]),
                "during_overlapped": during_overlapped, "small": small, "big": big, "memory": samples}


def batch_suite(sizes: BatchSizes) -> dict:
    return {"load_before": loadavg(), "sizes": sizes.__dict__, "staging": staging(sizes), "transform": transform(sizes),
            "load_after": loadavg()}


def _f(value, digits=0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def targets(r: dict) -> list[tuple[str, str, bool | None]]:
    s = r["staging"].get("1000")
    if not s:
        return []
    return [("the 202 of a 1,000-row batch ≤ 300 ms", f"p50 {_f(s['p50'])} ms, p95 {_f(s['p95'])} ms ({s['n']} batches)",
             s["p95"] is not None and s["p95"] <= 300)]


def lines(r: dict) -> list[str]:
    """The section of docs/PERFORMANCE.md."""
    s, t = r["staging"], r["transform"]
    single = s["single_order"]
    out = ["## Bulk orders (POST /api/order-batches)", "",
           "The demo's stack (runserver, SQLite, ORM broker, 2 workers). The 202 is measured with no worker cluster "
           "running (staging alone), each POST on a fresh connection; beside it, the peer: one order's `POST /api/orders`, "
           f"times the rows, is what the caterer's script would otherwise wait for. Load before/after: {r['load_before']} / {r['load_after']}.", "",
           "| request | n | body | p50 ms | p95 ms | per row (p50) | the same rows as single POSTs (p50 × rows) |",
           "| --- | --- | --- | --- | --- | --- | --- |",
           f"| one order, `POST /api/orders` | {single['n']} | 1 row | {_f(single['p50'], 1)} | {_f(single['p95'], 1)} | {_f(single['p50'], 1)} ms | |"]
    for rows in (str(r["sizes"]["small"]), str(r["sizes"]["big"])):
        b = s[rows]
        out.append(f"| a batch of {int(rows):,} rows | {b['n']} | {b['bytes'] / 1e6:.2f} MB | {_f(b['p50'])} | {_f(b['p95'])} | "
                   f"{_f(b['p50'] / int(rows), 3)} ms | {_f(single['p50'] * int(rows) / 1000, 1)} s |")
    small, big = t["small"], t["big"]

    def placing(b):
        return None if b["transformed"] is None or b["started"] is None else b["rows"] / (b["transformed"] - b["created"])

    def until(b, key):
        return None if b[key] is None else b[key] - b["created"]

    out += ["", "The transform against a 0 s shop (the orders' store-order jobs and mails run in the same 2 workers "
            "while the rows are placed):", "",
            "| batch | rows placed per second (202 → last row placed) | 202 → every order confirmed | 202 → batch final (callback due) | confirmed |",
            "| --- | --- | --- | --- | --- |"]
    for name, b in ((f"{r['sizes']['small']:,} rows", small), (f"{r['sizes']['big']:,} rows", big)):
        if b["finished"] is None:  # followed for a bounded time only: say how far it got, not a time it did not reach
            out.append(f"| {name} | {_f(b.get('placed', 0) / (b['last_confirmed'] - b['created']) if b['last_confirmed'] else None, 1)} "
                       f"(not all placed when the measurement stopped) | not reached | not reached | "
                       f"{b['confirmed']:,} of {b['rows']:,} after {_f(b['last_confirmed'] - b['created'] if b['last_confirmed'] else None)} s ({b['status']}) |")
            continue
        out.append(f"| {name} | {_f(placing(b), 1)} | {_f(until(b, 'last_confirmed'), 1)} s | {_f(until(b, 'finished'), 1)} s | "
                   f"{b['confirmed']:,} of {b['rows']:,} ({b['status']}) |")
    idle, during = t["idle"], t["during"]
    out += ["", f"A customer's order through the form, placed → confirmed: idle p50 {_f(idle['p50'])} ms, p95 {_f(idle['p95'])} ms "
            f"({idle['n']} orders); placed while the {r['sizes']['small']:,}-row batch was being placed: p50 {_f(during['p50'])} ms, "
            f"p95 {_f(during['p95'])} ms ({during['n']} orders, one after another), while the batch took "
            f"{_f(until(small, 'finished'))} s. Slower than on an idle stack, but bounded: the queue is first come, first "
            "served, and each chunk (BATCH_CHUNK_ROWS, 25) queues the next one behind its own orders' jobs, so a customer "
            "waits behind about one chunk's jobs (and their mails), not behind the batch. A smaller chunk shortens that "
            "wait and adds a task per chunk."]
    memory = t["memory"]
    if memory:
        rss = [m[1] for m in memory]
        followed = memory[-1][0] - memory[0][0]
        quarters = [memory[round(i * (len(memory) - 1) / 4)] for i in range(5)]
        out += ["", f"The worker cluster's memory ({memory[0][3]} processes, summed) during the {r['sizes']['big']:,}-row batch, "
                f"sampled every 2 s for {_f(followed)} s ({len(memory)} samples; {big.get('placed', 0):,} rows transformed by then), "
                "at the start and after each quarter of that time:", "",
                "| | " + " | ".join(f"{_f(m[0] - memory[0][0])} s" for m in quarters) + " |",
                "| --- | " + " | ".join("---" for _ in quarters) + " |",
                "| RSS MB | " + " | ".join(_f(m[1]) for m in quarters) + " |",
                "| PSS MB | " + " | ".join(_f(m[2]) for m in quarters) + " |", "",
                f"Largest RSS {_f(max(rss))} MB, median {_f(statistics.median(rss))} MB. Each chunk reads its 25 rows, not the batch."]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default="var/bench-batches.json")
    parser.add_argument("--render", action="store_true", help="only print the section again from --json's figures")
    args = parser.parse_args()
    if args.render:
        with open(args.json) as saved:
            result = json.load(saved)
    else:
        result = batch_suite(QUICK if args.quick else BatchSizes())
        with open(args.json, "w") as out:
            json.dump(result, out, indent=1, default=str)
    print("\n".join(lines(result)))
    for target, measured, met in targets(result):
        print(f"| {target} | {measured} | {'met' if met else 'missed'} |")


if __name__ == "__main__":
    main()

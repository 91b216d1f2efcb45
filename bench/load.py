"""100 customers for 60 s: a closed loop per customer (open the form, order, look at the status page, again),
on threads spread over a few processes so that the load generator's own GIL is not what we measure. Bounded:
every customer stops at the deadline, every request has a timeout."""

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from .client import Customer


def _customer_loop(base_url: str, deadline: float, number: int) -> list[tuple[str, float, bool]]:
    customer, timings, n = Customer(base_url, timeout_s=30), [], 0
    while time.time() < deadline:
        for kind in ("form", "order", "status"):
            started = time.perf_counter()
            try:
                if kind == "form":
                    form = customer.open_form()
                    ok = True
                elif kind == "order":
                    fields = {**form, "pizza": "margherita", "size": "small", "quantity": "1",
                              "name": f"Load {number}-{n}", "email": f"load{number}-{n}@example.com", "address": "1 Load St"}
                    status, headers, _, _ = customer.request("POST", "/", fields)
                    ok = status == 303
                    location = headers.get("Location") or headers.get("location")
                else:
                    status, _, _, _ = customer.request("GET", location)
                    ok = status == 200
            except Exception:  # noqa: BLE001 - every failure counts as an error, whatever it is
                ok = False
                customer.close()
            timings.append((kind, time.perf_counter() - started, ok))
            if not ok:
                break
        n += 1
    customer.close()
    return timings


def _process(base_url: str, deadline: float, first: int, customers: int) -> list[tuple[str, float, bool]]:
    with ThreadPoolExecutor(max_workers=customers) as pool:
        batches = pool.map(lambda i: _customer_loop(base_url, deadline, first + i), range(customers))
        return [t for batch in batches for t in batch]


def run(base_url: str, customers: int = 100, seconds: float = 60, processes: int = 4) -> list[tuple[str, float, bool]]:
    """(kind, seconds, ok) of every request made."""
    deadline = time.time() + seconds
    share = -(-customers // processes)
    with ProcessPoolExecutor(max_workers=processes) as pool:
        futures = [pool.submit(_process, base_url, deadline, p * share, min(share, customers - p * share))
                   for p in range(processes) if customers - p * share > 0]
        return [t for future in futures for t in future.result(timeout=seconds + 120)]

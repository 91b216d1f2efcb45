"""docs/TRAINING.md, replayed as written: the demo's defaults (4 workers, the environment's policy), each
scenario set with `manage.py scenario`, the mode with `manage.py storemode`, customers ordering through the
form as the trainer does in front of the room, and each step's "wait for" honoured before the next. Prints
what the room would have seen beside what the guide promises, and fails (exit 1) when a figure is not of
the promised order of magnitude.

Run: .venv/bin/python -m bench.training_replay   (about 3 minutes; a stack of its own on free ports)
"""

import re
import secrets
import sys
import time
from dataclasses import dataclass

import requests

from .client import Customer
from .stack import Stack

STATUS = re.compile(r'data-order-status="(\w+)"')
FINAL = {"confirmed", "failed", "cancelled"}


@dataclass
class Figure:
    step: str
    what: str
    measured: float
    promised: str
    low: float
    high: float

    @property
    def holds(self) -> bool:
        return self.low <= self.measured <= self.high


def place(customer: Customer, number: int) -> tuple[int, float, str]:
    """One customer presses "Place order": (HTTP status, seconds the form took, status page path or "")."""
    fields = {**customer.open_form(), "pizza": "margherita", "size": "medium", "quantity": "1",
              "name": f"Room customer {number}", "email": f"room{number}@example.com", "address": f"{number} Room Road"}
    status, headers, _, seconds = customer.request("POST", "/", fields)
    return status, seconds, headers.get("Location", "")


def final_status(customer: Customer, path: str, *, timeout_s: float = 120) -> tuple[str, float]:
    """Poll the status page as it polls itself (every second) until final: (status, seconds waited)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        _, _, page, _ = customer.request("GET", path)
        status = STATUS.search(page.decode())[1]
        if status in FINAL:
            return status, time.monotonic() - started
        time.sleep(0.25)
    return "timed out", timeout_s


def metric(stack: Stack, name: str, labels: str = "") -> float:
    text = requests.get(f"{stack.web_url}/metrics", headers={"Authorization": f"Bearer {stack.env['METRICS_TOKEN']}"},
                        timeout=10).text
    for line in text.splitlines():
        if line.startswith(name + labels + " ") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def replay() -> list[Figure]:
    figures = []
    with Stack("training-replay", Q_WORKERS=4, METRICS_TOKEN=secrets.token_urlsafe(16)) as stack:
        room = Customer(stack.web_url)

        def one_order_each_way(step, scenario, number, *, sync_form, async_confirmed):
            """The trainer orders once in sync mode (the page answers when it is through), then once in async
            mode and waits for the status page to say confirmed. `sync_form`, `async_confirmed`: (promised,
            low, high)."""
            stack.manage("scenario", scenario, capture_output=True)
            stack.manage("storemode", "sync", capture_output=True)
            _, took, _ = place(room, number)
            figures.append(Figure(step, "sync: form answered in (s)", took, *sync_form))
            stack.manage("storemode", "async", capture_output=True)
            _, took, path = place(room, number + 1)
            _, confirmed_after = final_status(room, path)
            figures.append(Figure(step, "async: form answered in (s)", took, "tens of ms", 0, 1))
            figures.append(Figure(step, "async: confirmed after (s)", confirmed_after, *async_confirmed))

        # 1. Happy path.
        one_order_each_way("1 happy", "happy", 1, sync_form=("tens of ms", 0, 1), async_confirmed=("a moment later", 0, 5))

        # 2. Unreliable shop (20 % of calls fail): 10 sync customers, one press each; then 10 async.
        stack.manage("scenario", "unreliable", capture_output=True)
        stack.manage("storemode", "sync", capture_output=True)
        errors = sum(place(room, 10 + n)[0] != 303 for n in range(10))
        figures.append(Figure("2 unreliable", "sync: customers of 10 who saw an error", errors, "about 2 of 10 (0 to 5)", 0, 6))
        stack.manage("storemode", "async", capture_output=True)
        placed = [place(room, 20 + n) for n in range(10)]
        results = [final_status(room, path) for _, _, path in placed]
        figures.append(Figure("2 unreliable", "async: customers of 10 who saw an error",
                              sum(status != 303 for status, _, _ in placed), "none", 0, 0))
        figures.append(Figure("2 unreliable", "async: confirmed of 10",
                              sum(status == "confirmed" for status, _ in results), "all", 10, 10))

        # 3. Slow shop, short (5 s a call): the sync order is through before the switch, as the guide says.
        one_order_each_way("3 slow-short", "slow-short", 30, sync_form=("≥ 5 s", 5, 8), async_confirmed=("≈ 5 s", 4.5, 8))

        # 4. Shop down, async, the scenario's short policy (4 attempts, waits 1, 2, 4 s).
        stack.manage("scenario", "down", capture_output=True)
        _, took, path = place(room, 40)
        status, failed_after = final_status(room, path)
        figures.append(Figure("4 down", "async: failed (told) after (s)", failed_after if status == "failed" else -1,
                              "about 10 s", 6, 15))

        # Lunch rush: 20 made-up customers at once against a 5 s shop, 4 workers. The figures come from
        # /metrics, as the diagram reads the same records.
        stack.manage("scenario", "happy", capture_output=True)
        before = metric(stack, "asyncpizza_orders", '{status="confirmed"}')
        started = time.monotonic()
        stack.manage("scenario", "lunch-rush", capture_output=True)
        deepest, last_confirmed = 0.0, None
        while time.monotonic() - started < 150:
            deepest = max(deepest, metric(stack, "asyncpizza_queue_depth"))
            if metric(stack, "asyncpizza_orders", '{status="confirmed"}') - before >= 20:
                last_confirmed = time.monotonic() - started
                break
            time.sleep(0.5)
        figures.append(Figure("lunch rush", "jobs in the queue at its deepest", deepest, "about a dozen", 6, 25))
        figures.append(Figure("lunch rush", "20th customer confirmed after (s)", last_confirmed or -1, "about 30 s", 20, 60))
    return figures


def main() -> int:
    started = time.monotonic()
    figures = replay()
    print("| step | what | measured | the guide says | holds |\n| --- | --- | --- | --- | --- |")
    for figure in figures:
        value = f"{figure.measured:.2f}" if figure.measured != int(figure.measured) else f"{figure.measured:.0f}"
        print(f"| {figure.step} | {figure.what} | {value} | {figure.promised} | {'yes' if figure.holds else 'NO'} |")
    print(f"\nreplayed in {time.monotonic() - started:.0f} s")
    return 0 if all(figure.holds for figure in figures) else 1


if __name__ == "__main__":
    sys.exit(main())

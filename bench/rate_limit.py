"""How many of N concurrent orders from one address the order rate limit lets through, on the database
cache (the demo's, and any setup without Redis) and on Redis, against the real web process over loopback.

Each client is a thread with its own connection; all of them are ready (the form's clients have loaded the
form) before a barrier lets them post at once. Half post through the form, half through POST /api/orders.
Every burst comes from its own address (X-Forwarded-For behind DJANGO_TRUSTED_PROXY_HOPS=1), so each starts
from a count of zero; a burst that would straddle the end of the limit's window waits for the next one.

Run: .venv/bin/python -m bench.rate_limit [--clients 10 50 100] [--redis redis://127.0.0.1:6379/14]
"""

import argparse
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests

from trainer.simulation import FormCustomer

from .stack import Stack

API_ORDER = {
    "pizza": "margherita",
    "size": "large",
    "quantity": 1,
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "address": "1 Engine Row"},
}
FORM_ORDER = {"pizza": "margherita", "size": "large", "quantity": "1", "name": "Ada Lovelace",
              "email": "ada@example.com", "address": "1 Engine Row"}


@dataclass
class Burst:
    clients: int
    accepted: int = 0
    limited: int = 0
    other: Counter = field(default_factory=Counter)  # any other answer: status code (or error) -> count
    limited_without_retry_after: int = 0
    limited_wrong_shape: list = field(default_factory=list)  # 429s that were not the friendly page / JSON
    seconds: float = 0.0


def wait_for_room_in_the_window(period_s: int, room_s: float = 15) -> None:
    """Fixed windows: a burst across a window's end may rightly get a full count in each. Start one that
    has `room_s` left (the wait is at most `room_s`)."""
    left = period_s - time.time() % period_s
    if left < room_s:
        time.sleep(left + 0.1)


def burst(web_url: str, clients: int, *, address: str, timeout_s: float = 120) -> Burst:
    """`clients` orders at once from `address`, half through the form and half through the API."""
    result, lock = Burst(clients), threading.Lock()
    barrier = threading.Barrier(clients)
    forwarded = {"X-Forwarded-For": address}

    def one(number: int) -> None:
        through_form = number % 2 == 0
        session = requests.Session()
        session.headers.update(forwarded)
        if through_form:
            customer = FormCustomer(web_url)
            customer.session = session
            form = customer.open_form()
        try:
            barrier.wait(timeout=timeout_s)
        except threading.BrokenBarrierError:
            return
        try:
            if through_form:
                response = session.post(f"{web_url}/", data={**form, **FORM_ORDER}, allow_redirects=False,
                                        headers={"Referer": f"{web_url}/"}, timeout=timeout_s)
                accepted, friendly = response.status_code == 303, "Your order was not placed" in response.text
            else:
                response = session.post(f"{web_url}/api/orders", json=API_ORDER, timeout=timeout_s,
                                        headers={"Idempotency-Key": str(uuid.uuid4())})
                accepted = response.status_code == 202
                friendly = response.headers.get("Content-Type", "").startswith("application/json")
        except requests.RequestException as error:
            with lock:
                result.other[type(error).__name__] += 1
            return
        with lock:
            if accepted:
                result.accepted += 1
            elif response.status_code == 429:
                result.limited += 1
                if not response.headers.get("Retry-After", "").isdigit():
                    result.limited_without_retry_after += 1
                if not friendly:
                    result.limited_wrong_shape.append("form" if through_form else "api")
            else:
                result.other[response.status_code] += 1

    threads = [threading.Thread(target=one, args=(number,)) for number in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout_s + 10)
    result.seconds = time.perf_counter() - started
    return result


def limited_stack(name: str, *, limit: str = "60/m", redis_url: str = "") -> Stack:
    """Web (the production profile: gunicorn, 2 processes of 8 threads) and shop, no worker cluster (an
    accepted order waits in the queue; the limit is the web's)."""
    environment = {"ORDER_RATE_LIMIT": limit, "DJANGO_TRUSTED_PROXY_HOPS": 1}
    if redis_url:
        environment["REDIS_URL"] = redis_url
    return Stack(name, clusters=0, web="gunicorn", web_workers=2, **environment)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="a Redis DB the run may flush")
    args = parser.parse_args()
    import redis

    for backend, redis_url in (("database cache", ""), ("Redis", args.redis)):
        if redis_url:
            redis.Redis.from_url(redis_url).flushdb()
        with limited_stack(f"rate-limit-{'redis' if redis_url else 'db'}", redis_url=redis_url) as stack:
            for number, clients in enumerate(args.clients):
                wait_for_room_in_the_window(60)
                figures = burst(stack.web_url, clients, address=f"198.51.100.{number + 1}")
                print(f"{backend:15} {clients:4} clients at 60/m: {figures.accepted:3} accepted, "
                      f"{figures.limited:3} limited (429; {figures.limited_without_retry_after} without Retry-After, "
                      f"{len(figures.limited_wrong_shape)} not the friendly page/JSON), other {dict(figures.other)}, "
                      f"{figures.seconds:.1f} s", flush=True)
        if redis_url:
            redis.Redis.from_url(redis_url).flushdb()


if __name__ == "__main__":
    main()

"""A webhook for the shop to call back in the tests: a real HTTP server on loopback that records every
request, and answers 200, or what it was told to for the next calls.

    with WebhookReceiver() as webhook:
        webhook.answer_next(503, 503)  # down for two calls, then 200
        post_order(shop, "key-1", an_order(callback_url=webhook.url))
        first, second, third = webhook.wait_for(3)
"""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.shop.orders import an_order, post_order
from tests.support.waiting import wait_until

WAIT_S = 30  # how long a test waits at most for the shop to call


@dataclass(frozen=True)
class Delivery:
    """One request the shop made to the webhook."""

    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    arrived_at: float  # time.monotonic(), when the whole request had been read

    def json(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self, port: int = 0):
        """`port` 0 lets the system choose; a given port lets a test start the webhook late, on a known address."""
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []
        self._answers: list[tuple[int, float]] = []  # (status, seconds to wait first) for the next calls
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/shop"

    def answer_next(self, *statuses: int, delay_s: float = 0.0) -> None:
        """Answer the next calls with these statuses, each after `delay_s`; later calls get 200 at once."""
        with self._lock:
            self._answers.extend((status, delay_s) for status in statuses)

    def answer_200_from_now(self) -> None:
        """Drop the answers still queued by answer_next: every later call gets 200 at once."""
        with self._lock:
            self._answers.clear()

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def wait_for(self, count: int) -> list[Delivery]:
        """The first `count` deliveries, once they have arrived (at most WAIT_S seconds)."""
        wait_until(lambda: len(self.deliveries) >= count, timeout=WAIT_S, message=f"{count} callbacks")
        return self.deliveries[:count]

    def wait_for_key(self, key: str) -> Delivery:
        """The first delivery about the order placed under `key`, once it has arrived (at most WAIT_S seconds)."""
        about_key = lambda: [d for d in self.deliveries if d.json().get("idempotency_key") == key]  # noqa: E731
        return wait_until(about_key, timeout=WAIT_S, message=f"the callback for {key}")[0]

    def start(self) -> "WebhookReceiver":
        threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "WebhookReceiver":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _record(self, delivery: Delivery) -> tuple[int, float]:
        with self._lock:
            self._deliveries.append(delivery)
            return self._answers.pop(0) if self._answers else (200, 0.0)

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, delay_s = receiver._record(Delivery(self.path, headers, body, time.monotonic()))
                time.sleep(delay_s)
                answer = json.dumps({"status": status}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # a slow answer: the shop stopped waiting and closed the connection

            def log_message(self, *args):
                pass  # keep the test output quiet

        return Handler


WITNESS_KEY = "witness"


def wait_past_the_moment(shop, webhook: WebhookReceiver, *, after_s: float) -> Delivery:
    """Wait until the shop itself is past the moment `after_s` from now, for a test that asserts a callback
    did NOT come: a witness order, placed now in callback mode and decided `after_s` later, is called back.

    Every callback thread the shop scheduled for an earlier moment has woken and decided by then, so a callback
    that was still to come has been decided too. A fixed sleep in the test would prove nothing under load:
    the shop's threads may not have run at all when it ends. Returns the witness's delivery (key WITNESS_KEY),
    which the caller leaves out of what it asserts. Sets the shop's mode and latency.
    """
    shop.configure(mode="callback", latency_s=after_s)
    sent_before = shop.stats()["callbacks_sent"]
    response = post_order(shop, WITNESS_KEY, an_order(reference="WITNESS", callback_url=webhook.url))
    assert response.status_code == 202, response.text
    delivery = webhook.wait_for_key(WITNESS_KEY)
    # The webhook has it before the shop has its answer: wait until the shop counts it sent, too.
    wait_until(lambda: shop.stats()["callbacks_sent"] > sent_before, timeout=WAIT_S, message="the witness counted sent")
    return delivery

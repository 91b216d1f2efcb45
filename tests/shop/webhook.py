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

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def wait_for(self, count: int) -> list[Delivery]:
        """The first `count` deliveries, once they have arrived (at most WAIT_S seconds)."""
        wait_until(lambda: len(self.deliveries) >= count, timeout=WAIT_S, message=f"{count} callbacks")
        return self.deliveries[:count]

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

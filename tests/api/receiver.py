"""CallbackReceiver: what an API client runs to hear about its orders, as a real HTTP server on loopback.

    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET, fail_first=2) as receiver:
        ...  # place an order with callback_url=receiver.url
        [notice] = wait_until(receiver.accepted, timeout=30)

It checks each notification's signature as a client would, with the Standard Webhooks library
(`standardwebhooks`: the signature over "<webhook-id>.<webhook-timestamp>." + body, and a fresh timestamp),
and answers 401 to a bad one; `fail_first` answers 503 to the first requests, as a receiver
that is down for a while; `delay_s` answers late, as a slow one.
"""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict
    body: bytes
    signature_ok: bool
    answered: int

    def json(self) -> dict:
        return json.loads(self.body)


class CallbackReceiver:
    def __init__(self, *, secret: str, fail_first: int = 0, delay_s: float = 0):
        # A secret that is not `whsec_<base64>` is the library's key as its bytes (core/webhooks.py).
        self.webhook = Webhook(secret if secret.startswith("whsec_") else secret.encode())
        self.fail_first = fail_first
        self.delay_s = delay_s
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/pizza"

    def start(self) -> "CallbackReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "CallbackReceiver":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def requests(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def accepted(self) -> list[Received]:
        return [r for r in self.requests() if 200 <= r.answered < 300]

    def signature_is_valid(self, headers, body: bytes) -> bool:
        try:
            self.webhook.verify(body, dict(headers.items()), json_parse=False)
        except WebhookVerificationError:
            return False
        return True

    def _answer(self, headers, body: bytes) -> tuple[int, bool]:
        signature_ok = self.signature_is_valid(headers, body)
        with self._lock:
            seen = len(self.received)
        if seen < self.fail_first:
            return 503, signature_ok
        return (204 if signature_ok else 401), signature_ok

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)  # a slow client server, not a wait in a test
                status, signature_ok = receiver._answer(self.headers, body)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body, signature_ok, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        return Handler

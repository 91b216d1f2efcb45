"""A relay in front of the app's webhook, on a port known before the app's own: the worker cluster starts
first and must tell the shop where to call back. It forwards each call to `target`, or answers 503 while
`down` (the webhook "down for a while")."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class WebhookRelay:
    def __init__(self):
        self.target: str | None = None
        self.down = False
        self.refused = 0
        self.forwarded = 0
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if relay.down or relay.target is None:
                    relay.refused += 1
                    self._answer(503, b'{"error": "webhook down"}')
                    return
                forwarded = requests.post(
                    f"{relay.target}{self.path}",
                    data=body,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}},
                    timeout=10,
                )
                relay.forwarded += 1
                self._answer(forwarded.status_code, forwarded.content)

            def _answer(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

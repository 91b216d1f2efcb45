"""What a request on a kept-alive connection costs over one on a fresh connection (connect included), and
Django's stock development server beside ours (TCP_NODELAY, core.tcp) serving the same tiny app.

Run alone: .venv/bin/python -m bench.keepalive
"""

import http.client
import socketserver
import statistics
import threading
import time
from urllib.parse import urlsplit

from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

from core.tcp import NoDelayServerMixin


def fresh_and_kept_ms(base_url: str, path: str, requests: int = 40) -> dict:
    """Median ms of a GET on a new connection each time (connect included) and on one kept-alive one."""
    parts = urlsplit(base_url)

    def get(connection) -> float:
        started = time.perf_counter()
        if connection is None:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            connection.request("GET", path, headers={"Connection": "close"})
            connection.getresponse().read()
            connection.close()
        else:
            connection.request("GET", path)
            connection.getresponse().read()
        return (time.perf_counter() - started) * 1000

    fresh = [get(None) for _ in range(requests)]
    kept_connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    get(kept_connection)  # opens it
    kept = [get(kept_connection) for _ in range(requests)]
    kept_connection.close()
    return {"fresh": statistics.median(fresh), "kept": statistics.median(kept), "n": requests}


def _tiny_app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def session_post_ms(base_url: str, requests_made: int = 30) -> float:
    """Median ms of a JSON POST on one requests.Session, as the ShopClient makes every attempt (it keeps one
    session, so one kept-alive connection, per worker process: workflow.shop_client.default_shop_client)."""
    import requests

    session, timings = requests.Session(), []
    for n in range(requests_made + 1):
        started = time.perf_counter()
        session.post(f"{base_url}/orders", json={"n": n}, headers={"Idempotency-Key": str(n)}, timeout=10).content
        timings.append((time.perf_counter() - started) * 1000)
    session.close()
    return statistics.median(timings[1:])  # the first one opens the connection


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class StockServer(socketserver.ThreadingMixIn, WSGIServer):
    """What runserver builds by default (a threaded WSGIServer)."""

    daemon_threads = True


class NoDelayServer(socketserver.ThreadingMixIn, NoDelayServerMixin, WSGIServer):
    """The same with our mix-in, as asyncpizza's runserver builds it."""

    daemon_threads = True


def stock_beside_nodelay(requests: int = 40) -> dict:
    """{server name: fresh_and_kept_ms} for runserver's threaded WSGIServer as it is and with the mix-in."""
    results = {}
    for name, server_class in {"Django's server, stock": StockServer,
                               "Django's server + TCP_NODELAY (ours)": NoDelayServer}.items():
        server = server_class(("127.0.0.1", 0), _QuietHandler)
        server.set_app(_tiny_app)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}"
            results[name] = {**fresh_and_kept_ms(url, "/", requests), "session_post": session_post_ms(url)}
        finally:
            server.shutdown()
            server.server_close()
    return results


if __name__ == "__main__":
    for name, figures in stock_beside_nodelay().items():
        print(f"{name}: fresh {figures['fresh']:.2f} ms, kept-alive {figures['kept']:.2f} ms, "
              f"a POST on a requests.Session (as the ShopClient) {figures['session_post']:.2f} ms")

"""A customer over one kept-alive HTTP/1.1 connection (http.client), timing only the request it is asked to:
the time from sending the request to the last byte of the answer, on loopback. No third-party client, so
nothing between us and the socket adds its own waits."""

import http.client
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')


class Customer:
    """One browser: its own connection (reopened if the server closes it) and cookies."""

    def __init__(self, base_url: str, *, timeout_s: float = 30, keep_alive: bool = True):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.timeout_s, self.keep_alive = timeout_s, keep_alive
        self.cookies: dict[str, str] = {}
        self.connection = None
        self.last_form: dict | None = None

    def request(self, method: str, path: str, fields: dict | None = None) -> tuple[int, dict, bytes, float]:
        """(status, headers, body, seconds). A connection the server closed between two requests is
        reopened once, untimed; any other failure raises."""
        body = urlencode(fields).encode() if fields is not None else None
        headers = {"Host": f"{self.host}:{self.port}", "Referer": f"http://{self.host}:{self.port}/"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if not self.keep_alive:
            headers["Connection"] = "close"
            self.close()
        for tries_left in (1, 0):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
                self.connection.connect()
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if not tries_left:
                    raise
                continue
            seconds = time.perf_counter() - started
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.will_close or not self.keep_alive:
                self.close()
            return response.status, dict(response.getheaders()), content, seconds
        raise AssertionError("unreachable")

    def open_form(self) -> dict:
        status, _, page, _ = self.request("GET", "/")
        text = page.decode()
        if status != 200 or not _TOKEN.search(text):
            raise RuntimeError(f"the order form answered {status}")
        self.last_form = {"csrfmiddlewaretoken": _TOKEN.search(text)[1], "submission": _SUBMISSION.search(text)[1]}
        return self.last_form

    def order(self, number: int) -> tuple[float, str]:
        """Place one order through the form: (seconds the POST took, the status page's path)."""
        return self._post_order(number, self.open_form())

    def order_without_reopening(self, number: int) -> tuple[float, str]:
        """Place one order with the last form opened (its CSRF token) and a new submission id, as a second tab
        would: the form's POST alone, without the GET before each that `order` makes (a peer of
        `bare_insert`, which never opens a page)."""
        return self._post_order(number, {**(self.last_form or self.open_form()), "submission": str(uuid.uuid4())})

    def _post_order(self, number: int, form: dict) -> tuple[float, str]:
        fields = {
            **form, "pizza": "margherita", "size": "medium", "quantity": "1",
            "name": f"Bench customer {number}", "email": f"bench{number}@example.com", "address": f"{number} Bench Road",
        }
        status, headers, _, seconds = self.request("POST", "/", fields)
        if status != 303:
            raise RuntimeError(f"order {number}: the form answered {status}")
        return seconds, headers.get("Location") or headers.get("location")

    def bare_insert(self, number: int) -> float:
        """The floor: the same kind of POST (form-encoded, CSRF-checked) to a view that inserts one row."""
        if "csrftoken" not in self.cookies:
            self.open_form()
        fields = {"csrfmiddlewaretoken": self.cookies["csrftoken"], "note": f"bare {number}"}
        status, _, _, seconds = self.request("POST", "/bench/bare/", fields)
        if status != 303:
            raise RuntimeError(f"the bare view answered {status}")
        return seconds

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def in_parallel(base_url: str, customers: int, per_customer: int, action: str, start_number: int = 0) -> list[float]:
    """`customers` threads, each its own Customer doing `action` ("order" or "bare_insert") `per_customer`
    times, all starting together; the seconds of every request."""
    barrier = threading.Barrier(customers)

    def one_customer(index: int) -> list[float]:
        customer = Customer(base_url)
        customer.open_form()  # connection and cookies first, untimed
        barrier.wait(timeout=60)
        seconds = []
        for n in range(per_customer):
            result = getattr(customer, action)(start_number + index * per_customer + n)
            seconds.append(result[0] if isinstance(result, tuple) else result)
        customer.close()
        return seconds

    with ThreadPoolExecutor(max_workers=customers) as pool:
        return [s for batch in pool.map(one_customer, range(customers)) for s in batch]

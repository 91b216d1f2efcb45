"""The shop simulator's web server: Django's threaded development server, serving only shop.urls, able to
lose a response by cutting the connection without a byte of HTTP.

How a response is lost: the view marks it (shop.responses.lose); ShopWSGIHandler turns a marked response into
DropConnection; ShopServerHandler, which would otherwise send a 500, swallows that exception and has the
connection closed with nothing written, so the client sees the server disconnect.
"""

import ipaddress
import re
import sys
from dataclasses import dataclass

from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ServerHandler, ThreadedWSGIServer, WSGIRequestHandler

from core.tcp import NoDelayServerMixin

from .responses import is_lost

SHOP_URLCONF = "shop.urls"
DEFAULT_ADDRPORT = "127.0.0.1:8001"

_ADDRPORT = re.compile(r"^(?:(?:\[(?P<ipv6>[^\]]+)\]|(?P<host>[^:\[\]]+)):)?(?P<port>\d+)$")


@dataclass(frozen=True)
class Address:
    """Where the server listens."""

    host: str
    port: int

    @property
    def ipv6(self) -> bool:
        return ":" in self.host

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if self.ipv6 else self.host
        return f"http://{host}:{self.port}/"


def parse_addrport(text: str, default_host: str = "127.0.0.1") -> Address:
    """Read "ADDR:PORT", "[IPv6]:PORT" or "PORT"; port 0 lets the system choose a free port."""
    match = _ADDRPORT.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not ADDR:PORT, [IPv6]:PORT or PORT")
    port = int(match["port"])
    if port > 65535:
        raise ValueError(f"port {port} is out of range (0-65535)")
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            raise ValueError(f"{match['ipv6']!r} is not an IPv6 address") from None
        return Address(match["ipv6"], port)
    return Address(match["host"] or default_host, port)


class DropConnection(Exception):
    """The response must be lost: close the connection without sending anything."""


class ShopWSGIHandler(WSGIHandler):
    """Django's WSGI handler, resolving the shop's URLs instead of the app's (ROOT_URLCONF)."""

    def get_response(self, request):
        request.urlconf = SHOP_URLCONF  # honoured by Django's URL resolution, per request
        response = super().get_response(request)
        if is_lost(response):
            response.close()  # a delivered response is closed by the server; this one must be too
            raise DropConnection
        return response


class ShopServerHandler(ServerHandler):
    """Runs the application for one request; a DropConnection ends the connection silently."""

    def handle_error(self):
        if isinstance(sys.exc_info()[1], DropConnection):
            # Nothing has been written yet (the application raised before start_response). Closing the
            # connection after this request makes the client see it cut, with no HTTP response.
            self.request_handler.close_connection = True
            return
        super().handle_error()


class ShopRequestHandler(WSGIRequestHandler):
    """Django's request handler, running each request with ShopServerHandler."""

    def handle_one_request(self):
        # Django's own handle_one_request, which hard-codes its ServerHandler, with ours instead.
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = ShopServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ())
        handler.request_handler = self
        handler.run(self.server.get_app())


class ShopWSGIServer(NoDelayServerMixin, ThreadedWSGIServer):
    """Django's threaded development server, with TCP_NODELAY on every connection (see core.tcp)."""


def make_server(address: Address) -> ThreadedWSGIServer:
    """A bound server for the shop, ready for serve_forever().

    One daemon thread per connection, so that a slow call never holds up another and never delays the
    process's exit; the server closes each thread's database connections when its request is done.
    """
    server = ShopWSGIServer((address.host, address.port), ShopRequestHandler, ipv6=address.ipv6)
    server.set_app(ShopWSGIHandler())
    return server

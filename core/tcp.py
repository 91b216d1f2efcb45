"""TCP_NODELAY on every connection a development server accepts.

CPython's wsgiref (under Django's runserver and the shop simulator's server) writes a response's headers and
its body in two writes. Without TCP_NODELAY, Nagle's algorithm holds the second write back until the client
acknowledges the first, and a client on a kept-alive connection delays that ACK by up to 40 ms (CPython
issue 108736): every request on a reused connection then costs 40 ms more than one on a fresh connection.

Shared by the app's `runserver` and the shop simulator (which may import this module, not the app's apps).
"""

import socket


class NoDelayServerMixin:
    """For a socketserver.TCPServer subclass: accepted sockets send each write at once."""

    def get_request(self):
        connection, client_address = super().get_request()
        if connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, client_address

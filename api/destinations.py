"""Where the app may send notifications: not into its own network, unless the demo allows it.

A client chooses callback_url; without this check it could make the app POST to its own loopback or
private services (the shop simulator's /reset, an internal admin). Checked when the order comes in, and
again before each POST, since a name can resolve to another address later.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class PrivateDestination(ValueError):
    """The URL leads to a loopback, private, link-local or otherwise non-public address."""


def check_destination(url: str) -> None:
    if settings.API_CALLBACK_ALLOW_PRIVATE:
        return
    parts = urlsplit(url)
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError, ValueError):
        raise PrivateDestination(f"{parts.hostname!r} does not resolve to an address") from None
    for address in addresses:
        if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
            raise PrivateDestination(f"{parts.hostname!r} resolves to {address}, which is not a public address")

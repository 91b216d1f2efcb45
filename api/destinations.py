"""Where the app may send notifications: public addresses only, unless a host is allowed by name.

A client chooses callback_url; without this check it could make the app POST to its own loopback or
private services (the shop simulator's /reset, a cloud metadata service, an internal admin). The rule is
applied to the address the connection is made to: `resolve_destination` resolves the name once, checks
every address it resolves to, and returns the one to connect to; api.pinned_http connects to exactly that
address (no second look-up a DNS answer could change in between). It runs when the order comes in (so the
client hears at once) and again at each POST.

`ipaddress.is_global` alone is not the rule: it says nothing of IPv6 forms that carry an IPv4 address
(::ffff:127.0.0.1, 64:ff9b::7f00:1, 2002:7f00:1::), and the registry's special-purpose lists change. The
networks below are refused whatever `is_global` says, and what is left must also be `is_global`.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA's IPv4 and IPv6 special-purpose registries (RFC 6890 and successors), refused whatever is_global says.
REFUSED_NETWORKS = [ipaddress.ip_network(network) for network in (
    "0.0.0.0/8",           # "this network"; 0.0.0.0 reaches the local host on Linux
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private
    "100.64.0.0/10",       # carrier-grade NAT shared space
    "127.0.0.0/8",         # loopback
    "169.254.0.0/16",      # link-local (cloud metadata services live here)
    "192.0.0.0/24",        # IETF protocol assignments (DS-Lite, NAT64 discovery, ...) — all of it
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation
    "192.88.99.0/24",      # the old 6to4 relay anycast
    "198.18.0.0/15",       # benchmarking
    "224.0.0.0/4",         # multicast
    "240.0.0.0/4",         # reserved, and 255.255.255.255
    "::/128", "::1/128",   # unspecified, loopback
    "::/96",               # IPv4-compatible (deprecated): ::127.0.0.1
    "64:ff9b:1::/48",      # local-use NAT64
    "100::/64",            # discard-only
    "2001::/23",           # IETF protocol assignments: Teredo (2001::/32), benchmarking, ORCHID
    "2001:db8::/32", "3fff::/20",  # documentation
    "5f00::/16",           # SRv6 SIDs
    "fc00::/7",            # unique-local
    "fe80::/10", "fec0::/10",  # link-local, the old site-local
    "ff00::/8",            # multicast
)]
# IPv6 forms that carry an IPv4 address: allowed only if the IPv4 address inside is itself public.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")

# What inet_aton reads as IPv4 although it is not a dotted quad: 2130706433, 0x7f.1, 0177.0.0.1, 127.1.
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.IGNORECASE)


class PrivateDestination(ValueError):
    """The URL leads to a loopback, private, link-local or otherwise non-public address."""


@dataclass(frozen=True)
class Destination:
    host: str  # the name as written in the URL (what goes in the Host header and TLS SNI)
    port: int
    address: str  # the one address to connect to


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64 or 6to4), if any."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return address.sixtofour
    return None


def refusal(address: Address) -> str | None:
    """Why the address is not public, or None if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "an address with a zone id is link-local"
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = refusal(inner)
            return f"it carries the IPv4 address {inner}: {reason}" if reason else None
        if address not in GLOBAL_UNICAST:
            return "it is outside IPv6's global unicast space"
    for network in REFUSED_NETWORKS:
        if address.version == network.version and address in network:
            return f"it is in {network}, a special-purpose network"
    if not address.is_global:
        return "it is not a global address"
    return None


def host_is_allowed(host: str, port: int) -> bool:
    """The operator's explicit opt-in: every destination, or the host and port pairs in
    API_CALLBACK_ALLOWED_HOSTS (a host alone would open every port of it: the shop's /reset beside a receiver)."""
    return settings.API_CALLBACK_ALLOW_PRIVATE or (host.lower().strip("[]"), port) in set(settings.API_CALLBACK_ALLOWED_HOSTS)


def resolve_destination(url: str) -> Destination:
    """Resolve the URL's host once; the address to connect to, if every address it has is allowed."""
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise PrivateDestination("the URL's port is not a number from 0 to 65535") from None
    if not host:
        raise PrivateDestination("the URL has no host")
    addresses = _addresses(host, port)
    if not host_is_allowed(host, port):
        for address in addresses:
            reason = refusal(address)
            if reason:
                raise PrivateDestination(f"{host!r} leads to {address}, which is not a public address ({reason})")
    return Destination(host=host, port=port, address=str(addresses[0]))


def check_destination(url: str) -> None:
    """Raise PrivateDestination if a notification to this URL would be refused now."""
    resolve_destination(url)


def _addresses(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]  # an IP literal (with a zone id, if any: refusal() sees it)
    except ValueError:
        pass
    if NUMERIC_HOST.match(host):
        # The C library would read it as IPv4 in some old notation; nobody writes a real host that way.
        raise PrivateDestination(f"{host!r} is a number, not a host name: write an IPv4 address as a dotted quad")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise PrivateDestination(f"{host!r} does not resolve to an address") from None
    addresses = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])  # a link-local IPv6 answer keeps its zone id ("fe80::1%eth0")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise PrivateDestination(f"{host!r} does not resolve to an address")
    return addresses

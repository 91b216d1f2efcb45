"""HTTP to a client's callback_url, connected to the one address api.destinations checked.

requests would resolve the host again when it connects, and a name server may answer differently the
second time (DNS rebinding: public when checked, 127.0.0.1 when connected). This adapter resolves and checks
once per request (`resolve_destination`), then hands urllib3 the checked IP address as the host to connect
to, while the Host header, TLS SNI and certificate check still use the name in the URL. Proxies from the
environment are ignored: a proxy would make its own look-up.
"""

import requests
from requests.adapters import HTTPAdapter

from .destinations import resolve_destination

PINNED_ADDRESS = "_asyncpizza_pinned_address"


class PinnedAddressAdapter(HTTPAdapter):
    def send(self, request, **kwargs):
        destination = resolve_destination(request.url)  # raises PrivateDestination (a ValueError)
        setattr(request, PINNED_ADDRESS, destination.address)
        if "Host" not in request.headers:
            default_port = {"http": 80, "https": 443}[request.url.split(":", 1)[0].lower()]
            name = f"[{destination.host}]" if ":" in destination.host else destination.host
            request.headers["Host"] = name if destination.port == default_port else f"{name}:{destination.port}"
        kwargs["proxies"] = {}
        return super().send(request, **kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            # Verify the certificate, and send SNI, for the name the client gave, not for the bare address.
            pool_kwargs["server_hostname"] = host_params["host"]
            pool_kwargs["assert_hostname"] = host_params["host"]
        host_params["host"] = getattr(request, PINNED_ADDRESS)
        return host_params, pool_kwargs


def pinned_session() -> requests.Session:
    """A session whose every request connects only to the address that was checked."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would resolve the name itself
    adapter = PinnedAddressAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session

"""The address a request came from, for login throttling (django-axes) and the order rate limit.

Without a proxy it is REMOTE_ADDR. Behind DJANGO_TRUSTED_PROXY_HOPS reverse proxies, each of which appends
the address it saw to X-Forwarded-For, it is the entry that many places from the right: entries further
left were written by the client and prove nothing.
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    hops = settings.TRUSTED_PROXY_HOPS
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "unknown"

"""The shop's control endpoints (PUT /settings, POST /reset, the ledger's details) are for its operator:
they need `Authorization: Bearer <SHOP_CONTROL_TOKEN>`, and those that take a body take JSON only.

Why JSON only: a browser may send a cross-origin POST with Content-Type text/plain (or a form's types)
without asking first, and a page the operator happens to open could otherwise reset the shop. A JSON
Content-Type cannot be sent cross-origin without a CORS preflight, which this API never grants.

Without a token configured (the default outside the demo) the control endpoints are closed to everyone.
"""

import hmac
from functools import wraps

from django.conf import settings

from .responses import error_response

JSON_CONTENT_TYPE = "application/json"


def control_endpoint(*, json_body: bool):
    """Decorate a view method: 401 without the right bearer token, then 415 if `json_body` and the request
    does not say its body is UTF-8 JSON. Nothing else of the request is read before both pass."""

    def decorate(method):
        @wraps(method)
        def checked(view, request, *args, **kwargs):
            refusal = refusal_of(request, json_body=json_body)
            return refusal or method(view, request, *args, **kwargs)

        return checked

    return decorate


def refusal_of(request, *, json_body: bool):
    """The response that refuses the request, or None when it may go on."""
    if not settings.SHOP_CONTROL_TOKEN:
        return _unauthorized("the control endpoints are closed: the shop was started without SHOP_CONTROL_TOKEN")
    if not token_matches(request.headers.get("Authorization", "")):
        return _unauthorized("this endpoint needs the header Authorization: Bearer <SHOP_CONTROL_TOKEN>")
    if json_body and not _says_json(request):
        return error_response(415, f"the body must be JSON, sent with Content-Type: {JSON_CONTENT_TYPE}")
    return None


def is_operator(request) -> bool:
    """Whether the request carries the control token (and one is configured)."""
    return bool(settings.SHOP_CONTROL_TOKEN) and token_matches(request.headers.get("Authorization", ""))


def token_matches(authorization: str) -> bool:
    """Whether the header carries the configured token; compared in constant time."""
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    # Header values reach Django as latin-1 text (WSGI); as bytes they compare whatever they hold.
    presented_bytes = presented.strip().encode("latin-1", errors="replace")
    return hmac.compare_digest(presented_bytes, settings.SHOP_CONTROL_TOKEN.encode("utf-8"))


def _says_json(request) -> bool:
    charset = request.content_params.get("charset", "utf-8").lower()
    return request.content_type == JSON_CONTENT_TYPE and charset in ("utf-8", "utf8")


def _unauthorized(message: str):
    response = error_response(401, message)
    response["WWW-Authenticate"] = 'Bearer realm="shop control"'
    return response

"""A body over the upload limit on an endpoint that speaks JSON (the order API, the shop's webhook, the shop
simulator) is answered 413 in JSON that names the limit, before a byte of it is read.

Without this, Django raises RequestDataTooBig where the body is first read: a 400 HTML page (with DEBUG on,
its 89 KB technical page) to a machine client that expects JSON. The limit is Django's
DATA_UPLOAD_MAX_MEMORY_SIZE, checked against Content-Length, as Django checks it (a WSGI body without one
is read as empty).
"""

from django.conf import settings
from django.http import HttpRequest, JsonResponse


# The error shapes of the JSON endpoints, each keeping its clients' format; every one also carries the limit.
SHAPES = {
    # {"message": ..., "errors": [{"field": ..., "message": ...}]}: the order API's (api.errors)
    "message-and-field-list": lambda message: {"message": message, "errors": [{"field": "body", "message": message}]},
    # {"error": ...}: the app's webhook's
    "error": lambda message: {"error": message},
    # {"errors": {field: reason}}: the shop simulator's (shop.errors)
    "errors-by-field": lambda message: {"errors": {"body": message}},
}


def error_shape(request: HttpRequest) -> str | None:
    """The error shape of the JSON endpoint the request is for (settings.JSON_ONLY_PATHS, JSON_ONLY_URLCONFS),
    or None when it is not for one (a page: Django's own answer)."""
    shape = settings.JSON_ONLY_URLCONFS.get(getattr(request, "urlconf", None) or "")
    if shape:
        return shape
    if request.path.startswith(tuple(settings.JSON_OWN_BODY_LIMIT_PATHS)):
        return None  # it limits its body itself
    return next((shape for prefix, shape in settings.JSON_ONLY_PATHS.items() if request.path.startswith(prefix)), None)


def too_large_message(limit: int, length: int | None = None) -> str:
    size = f"is {length:,} bytes" if length is not None else "is larger than that"
    return (f"The body {size}; at most {limit:,} bytes are accepted "
            f"(DATA_UPLOAD_MAX_MEMORY_SIZE). Nothing was read or stored.")


def too_large(limit: int, length: int | None = None, *, shape: str = "message-and-field-list") -> JsonResponse:
    """413 in the endpoint's own error shape, with the limit as a number too."""
    return JsonResponse({**SHAPES[shape](too_large_message(limit, length)), "limit_bytes": limit}, status=413)


def _content_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class JsonBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        shape = error_shape(request) if limit is not None else None
        if shape:
            length = _content_length(request)
            if length is not None and length > limit:
                return too_large(limit, length, shape=shape)
        return self.get_response(request)

"""A body over the upload limit on an endpoint that speaks JSON (the order API, the shop's webhook, the shop
simulator) is answered 413 in JSON that names the limit, before a byte of it is read.

Without this, Django raises RequestDataTooBig where the body is first read: a 400 HTML page (with DEBUG on,
its 89 KB technical page) to a machine client that expects JSON. The limit is Django's
DATA_UPLOAD_MAX_MEMORY_SIZE, checked against Content-Length, as Django checks it (a WSGI body without one
is read as empty).
"""

from django.conf import settings
from django.http import HttpRequest, JsonResponse


def speaks_json(request: HttpRequest) -> bool:
    """Paths of the app that take and give JSON only, and URLconfs served only as JSON (the shop's)."""
    return (request.path.startswith(tuple(settings.JSON_ONLY_PATHS))
            or getattr(request, "urlconf", None) in settings.JSON_ONLY_URLCONFS)


def too_large_message(limit: int, length: int | None = None) -> str:
    size = f"is {length:,} bytes" if length is not None else "is larger than that"
    return (f"The body {size}; at most {limit:,} bytes are accepted "
            f"(DATA_UPLOAD_MAX_MEMORY_SIZE). Nothing was read or stored.")


def too_large(limit: int, length: int | None = None) -> JsonResponse:
    """413, in a shape each of our JSON clients reads: the API's ("message", "errors" naming the field),
    the shop's and the webhook's ("error"), plus the limit as a number."""
    message = too_large_message(limit, length)
    return JsonResponse({"message": message, "error": message, "errors": [{"field": "body", "message": message}],
                         "limit_bytes": limit}, status=413)


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
        if limit is not None and speaks_json(request):
            length = _content_length(request)
            if length is not None and length > limit:
                return too_large(limit, length)
        return self.get_response(request)

"""Reading request bodies: JSON only, and only JSON a database can store."""

import re

from django.http import HttpRequest
from ninja.parser import Parser

from core.strict_json import loads_strict

JSON_MEDIA_TYPE = re.compile(r"application/(json|[\w.+-]+\+json)")


class UnsupportedMediaType(Exception):
    """The body was sent with a content type other than JSON."""


class JsonParser(Parser):
    """Read a body only if it says it is JSON; refuse JSON that no database column could hold."""

    def parse_body(self, request: HttpRequest):
        content_type = request.content_type or ""
        if not JSON_MEDIA_TYPE.fullmatch(content_type):
            raise UnsupportedMediaType(f"send the body as application/json, not {content_type or 'with no type'}")
        # Not UTF-8, NaN, too deep, a lone surrogate...: JsonRejected (a ValueError), a 400 naming why (api.errors).
        return loads_strict(request.body, nul_ok=True)  # the schema names every field holding a NUL

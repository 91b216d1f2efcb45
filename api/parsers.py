"""Reading request bodies: JSON only, and only JSON a database can store."""

import json
import re

from django.http import HttpRequest
from ninja.parser import Parser

JSON_MEDIA_TYPE = re.compile(r"application/(json|[\w.+-]+\+json)")


class UnsupportedMediaType(Exception):
    """The body was sent with a content type other than JSON."""


class JsonParser(Parser):
    """Read a body only if it says it is JSON; refuse JSON that no database column could hold."""

    def parse_body(self, request: HttpRequest):
        content_type = request.content_type or ""
        if not JSON_MEDIA_TYPE.fullmatch(content_type):
            raise UnsupportedMediaType(f"send the body as application/json, not {content_type or 'with no type'}")
        data = json.loads(request.body)
        # JSON may escape lone surrogates ("\ud800"), which are not text UTF-8 can encode: refuse them here.
        json.dumps(data, ensure_ascii=False).encode()
        return data

"""Reads a request body as JSON the shop can store, or says in one message why it cannot: core.strict_json's
reader (the app's too), its refusals mapped to the shop's field errors (MalformedRequest: a 400 naming the
field), so the API answers 400 with the reason, never a 500."""

from core.strict_json import JsonRejected, loads_strict

from .errors import MalformedRequest


def parse_json(body: bytes | None) -> object:
    """The body's JSON value; None stands for a body too large to read."""
    if body is None:
        raise MalformedRequest({"body": "is too large"})
    try:
        return loads_strict(body)
    except JsonRejected as error:
        raise MalformedRequest({error.field: str(error)}) from None

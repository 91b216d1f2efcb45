"""The two kinds of bad input, because the API answers them differently:
- MalformedRequest: the request itself is unusable (no idempotency key, a body that is not JSON): 400.
- InvalidFields: the JSON is readable but some fields are wrong: 422 for an order, 400 for settings.
"""


class InvalidInput(Exception):
    """Input the shop cannot use; `errors` maps each offending field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


class MalformedRequest(InvalidInput):
    """The request cannot be read at all: a missing idempotency key or a body that is not JSON."""


class InvalidFields(InvalidInput):
    """The body is readable JSON, but fields in it are missing or wrong."""

"""Reads a request body as JSON the shop can store, or says in one message why it cannot.

Python's json module is lenient where the shop's databases are not, and fails where a caller should get a
400: it reads UTF-16 and UTF-32, NaN and Infinity, numbers that overflow to inf, and strings with lone
surrogates or NUL characters (which SQLite cannot encode and PostgreSQL's jsonb refuses); its scanner
recurses once per level of nesting. Everything here raises MalformedRequest, so the API answers 400 with
the reason, never a 500.
"""

import json
import math

from .errors import MalformedRequest

MAX_NESTING = 32  # levels of arrays and objects; an order needs three
# Python refuses to turn more digits than this into an int (ValueError); the message says so plainly.
MAX_INTEGER_DIGITS = 4300


def parse_json(body: bytes | None) -> object:
    """The body's JSON value; None stands for a body too large to read."""
    if body is None:
        raise MalformedRequest({"body": "is too large"})
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequest({"body": f"must be UTF-8 (invalid byte at position {error.start})"}) from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_integer)
    except _NotPlainJSON as error:
        raise MalformedRequest({"body": str(error)}) from None
    except RecursionError:
        raise MalformedRequest({"body": f"is nested too deeply (at most {MAX_NESTING} levels)"}) from None
    except ValueError as error:  # JSONDecodeError and the like
        raise MalformedRequest({"body": f"must be valid JSON: {str(error)[:120]}"}) from None
    _check_storable(value)
    return value


class _NotPlainJSON(ValueError):
    """A value json.loads would take but the shop does not."""


def _refuse_constant(name: str):
    raise _NotPlainJSON(f"must be valid JSON: {name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotPlainJSON(f"must be valid JSON: the number {text[:40]} is too large")
    return number


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _NotPlainJSON(f"must be valid JSON: an integer of more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _check_storable(value: object) -> None:
    """Refuse nesting deeper than MAX_NESTING and strings the databases cannot store, naming where.

    Iterative, so that the check itself cannot recurse too deeply.
    """
    stack = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_NESTING:
                raise MalformedRequest({path or "body": f"is nested too deeply (at most {MAX_NESTING} levels)"})
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str):
                    _check_text(key, f"{path}.{key}" if path else key, is_key=True)
                    child_path = f"{path}.{key}" if path else key
                else:
                    child_path = f"{path}[{key}]"
                stack.append((child, child_path, depth + 1))
        elif isinstance(item, str):
            _check_text(item, path or "body")


def _check_text(text: str, path: str, *, is_key: bool = False) -> None:
    what = "a key" if is_key else "a string"
    field = path[:200]  # a field named by a huge key stays readable
    if "\x00" in text:
        raise MalformedRequest({field: f"{what} must not contain the NUL character (\\u0000)"})
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedRequest({field: f"{what} must not contain a lone surrogate (\\ud800-\\udfff)"}) from None

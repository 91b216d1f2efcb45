"""Reading a JSON request body as strictly as a database will later store it.

Python's json module takes more than JSON: NaN and Infinity, numbers that overflow to inf, lone surrogates
("\\ud800", which no UTF-8 column stores), and duplicate keys (the last one silently wins). It also lets a
deeply nested body raise RecursionError, and a 5,000-digit integer raise ValueError. Every one of those is
refused here with one exception, JsonRejected, whose message says why in words a client can act on.
"""

import json
import math


class JsonRejected(ValueError):
    """The body is not JSON that the app accepts; the message says why."""


def loads_strict(body: bytes) -> object:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JsonRejected(f"the body is not UTF-8 (byte {error.start}: {error.reason})") from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise JsonRejected("the body is nested too deeply") from None
    except JsonRejected:
        raise
    except ValueError as error:  # JSONDecodeError, or an integer over Python's digit limit
        raise JsonRejected(f"the body is not valid JSON ({error})") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRejected("the body has a string with a lone surrogate escape (\\ud800-\\udfff)") from None
    except RecursionError:
        raise JsonRejected("the body is nested too deeply") from None
    return value


def _no_constant(name: str):
    raise JsonRejected(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonRejected(f"the number {text[:40]} is too large")
    return number


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise JsonRejected(f"the key {key[:40]!r} appears twice in one object")
        result[key] = value
    return result

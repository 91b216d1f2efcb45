"""Reading a JSON body as strictly as a database will later store it: one reader for the app (its API, the
shop's callbacks, the shop's answers) and for the shop simulator.

Python's json module takes more than JSON: NaN and Infinity, numbers that overflow to inf, lone surrogates
("\\ud800", which no UTF-8 column stores), NUL characters (which PostgreSQL's text and jsonb refuse) and
duplicate keys (the last one silently wins). Its scanner recurses once per level of nesting (RecursionError),
and a 5,000-digit integer raises ValueError. Every one of those is refused here with one exception,
JsonRejected: its message says why in words a client can act on, its `field` where (the dotted path of the
value, or "body"), so each caller answers in its own format (the shop maps it to its field errors).
"""

import json
import math

MAX_NESTING = 32  # levels of arrays and objects; an order needs three
# Python refuses to turn more digits than this into an int (ValueError); the message says so plainly.
MAX_INTEGER_DIGITS = 4300


class JsonRejected(ValueError):
    """The body is not JSON that the app accepts; the message says why, `field` where."""

    def __init__(self, message: str, *, field: str = "body"):
        super().__init__(message)
        self.field = field


def loads_strict(body: bytes, *, nul_ok: bool = False) -> object:
    """The body's JSON value. `nul_ok`: let NUL characters through, for a caller whose own validation names
    every field that holds one (the API's schema)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JsonRejected(f"the body is not UTF-8 (byte {error.start}: {error.reason})") from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_integer,
                           object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise _too_deep("body") from None
    except JsonRejected:
        raise
    except ValueError as error:  # JSONDecodeError and the like
        raise JsonRejected(f"the body is not valid JSON ({str(error)[:120]})") from None
    _check_storable(value, nul_ok=nul_ok)
    return value


def _too_deep(field: str) -> JsonRejected:
    return JsonRejected(f"the body is nested too deeply (at most {MAX_NESTING} levels)", field=field)


def _no_constant(name: str):
    raise JsonRejected(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonRejected(f"the number {text[:40]} is too large")
    return number


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise JsonRejected(f"the body is not valid JSON (an integer of more than {MAX_INTEGER_DIGITS} digits)")
    return int(text)


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise JsonRejected(f"the key {key[:40]!r} appears twice in one object")
        result[key] = value
    return result


def _check_storable(value: object, *, nul_ok: bool) -> None:
    """Refuse nesting deeper than MAX_NESTING and strings the databases cannot store, naming where.
    Iterative, so that the check itself cannot recurse too deeply."""
    stack = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_NESTING:
                raise _too_deep(path or "body")
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str):
                    child_path = f"{path}.{key}" if path else key
                    _check_text(key, child_path, is_key=True, nul_ok=nul_ok)
                else:
                    child_path = f"{path}[{key}]"
                stack.append((child, child_path, depth + 1))
        elif isinstance(item, str):
            _check_text(item, path or "body", nul_ok=nul_ok)


def _check_text(text: str, path: str, *, is_key: bool = False, nul_ok: bool) -> None:
    what = "a key" if is_key else "a string"
    field = path[:200]  # a field named by a huge key stays readable
    if not nul_ok and "\x00" in text:
        raise JsonRejected(f"{what} must not contain the NUL character (\\u0000)", field=field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRejected(f"{what} must not contain a lone surrogate (\\ud800-\\udfff)", field=field) from None

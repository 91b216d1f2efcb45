"""Turns what a caller sent into values the shop can use, or into one message per offending field.

The kinds of bad input are in shop/errors.py; reading the body as JSON is shop/json_input.py. Every string
the shop stores is checked against its column's length here, so a database that does not enforce lengths
(SQLite) never keeps more than the column says.
"""

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from core.text import invisible_formatting

from .errors import InvalidFields, InvalidInput, MalformedRequest
from .json_input import parse_json
from .models import LedgerEntry, ShopMode

__all__ = ["InvalidFields", "InvalidInput", "MalformedRequest", "parse_json", "validate_knobs", "validate_order"]


def _column_length(name: str) -> int:
    return LedgerEntry._meta.get_field(name).max_length


MAX_IDEMPOTENCY_KEY_LENGTH = _column_length("idempotency_key")
MAX_REFERENCE_LENGTH = _column_length("reference")
MAX_CALLBACK_URL_LENGTH = _column_length("callback_url")
# Kept in the payload (JSON, no column of their own), still bounded: a pizza is not a novel.
MAX_NAME_LENGTH = 200
MAX_ADDRESS_LENGTH = 500
MAX_PIZZA_LENGTH = 100
MAX_TOTAL_LENGTH = 32
MAX_LATENCY_S = 600.0
MAX_OUTAGE_S = 86400.0  # down_for_s: a day at most
MAX_CANCEL_WINDOW_S = 86400.0
MAX_SEED = 2**63 - 1  # what the database's bigint holds
PIZZA_SIZES = ("small", "medium", "large")
MIN_QUANTITY, MAX_QUANTITY = 1, 100


def validate_idempotency_key(value: str | None, *, field: str = "Idempotency-Key") -> str:
    """The key of a call: from its header (POST /orders) or its path (`field` "idempotency_key")."""
    if value is None or not value.strip():
        raise MalformedRequest({field: "this header is required" if field == "Idempotency-Key" else "is required"})
    if len(value) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise MalformedRequest({field: f"must be at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters"})
    if not value.isprintable():
        raise MalformedRequest({field: "must not contain control characters"})
    return value


# --- Settings -------------------------------------------------------------------------------------
# Each knob has a parser that returns the value to store or raises ValueError with the message for the
# caller. A later knob is one more entry here, plus its model field.


def _number_between(low: float, high: float) -> Callable[[object], float]:
    def parse(value: object) -> float:
        # bool is an int in Python, but `true` is not a number in JSON. An int is compared as it is: one
        # too large for a float (10**400) would raise OverflowError in isfinite().
        if isinstance(value, bool) or not isinstance(value, int | float) or (isinstance(value, float) and not math.isfinite(value)):
            raise ValueError(f"must be a number from {low} to {high}")
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}, not {str(value)[:40]}")
        return float(value)

    return parse


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _one_of(*choices: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return parse


def _seed(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise ValueError(f"must be a whole number from 0 to {MAX_SEED}, or null")
    return value


KNOBS: dict[str, Callable[[object], object]] = {
    "failure_rate": _number_between(0.0, 1.0),
    "latency_s": _number_between(0.0, MAX_LATENCY_S),
    "lost_response_rate": _number_between(0.0, 1.0),
    "down": _boolean,
    "seed": _seed,
    "mode": _one_of(*ShopMode.values),
    "down_for_s": _number_between(0.0, MAX_OUTAGE_S),
    "cancel_window_s": _number_between(0.0, MAX_CANCEL_WINDOW_S),
    "shop_cancel_rate": _number_between(0.0, 1.0),
    "shop_cancel_after_s": _number_between(0.0, MAX_LATENCY_S),
}


def validate_knobs(data: object) -> dict[str, object]:
    """The knobs to change, from a partial settings object; raises InvalidFields naming every bad one."""
    if not isinstance(data, dict):
        raise InvalidFields({"body": "must be a JSON object of settings"})
    changes, errors = {}, {}
    for name, value in data.items():
        parse = KNOBS.get(name)
        if parse is None:
            errors[name[:100]] = f"is not a setting (known: {', '.join(KNOBS)})"
            continue
        try:
            changes[name] = parse(value)
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise InvalidFields(errors)
    return changes


# --- Orders ---------------------------------------------------------------------------------------


def validate_order(data: object, *, callback_required: bool = False) -> dict:
    """The order body, checked; raises InvalidFields naming every bad field ("items[0].size").

    `callback_url` is optional, checked when given, and required when `callback_required` (callback mode).
    Fields the shop does not know are let through: a caller may send more than the shop needs.
    """
    if not isinstance(data, dict):
        raise MalformedRequest({"body": "must be a JSON object"})  # not an order at all: 400, like bad JSON
    errors: dict[str, str] = {}
    _check_text(data, "reference", errors, max_length=MAX_REFERENCE_LENGTH)
    _check_items(data.get("items"), errors)
    customer = data.get("customer")
    if isinstance(customer, dict):
        _check_text(customer, "name", errors, prefix="customer.", max_length=MAX_NAME_LENGTH, visible=True)
        _check_text(customer, "address", errors, prefix="customer.", max_length=MAX_ADDRESS_LENGTH, visible=True)
    else:
        errors["customer"] = "must be an object with name and address"
    if "total" in data:
        _check_total(data["total"], errors)
    if "callback_url" in data or callback_required:
        _check_callback_url(data.get("callback_url"), errors)
    if errors:
        raise InvalidFields(errors)
    return data


def _check_text(data: dict, name: str, errors: dict, *, prefix: str = "", max_length: int | None = None,
                visible: bool = False) -> None:
    """`visible`: also refuse characters that make text show as something it is not (names, addresses)."""
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        errors[prefix + name] = "must be a non-empty string"
    elif max_length is not None and len(value) > max_length:
        errors[prefix + name] = f"must be at most {max_length} characters"
    elif visible and (found := invisible_formatting(value)):
        errors[prefix + name] = f"must not contain invisible formatting characters ({found})"


def _check_items(items: object, errors: dict) -> None:
    if not isinstance(items, list) or not items:
        errors["items"] = "must be a non-empty list"
        return
    for index, item in enumerate(items):
        prefix = f"items[{index}]"
        if not isinstance(item, dict):
            errors[prefix] = "must be an object with pizza, size and quantity"
            continue
        _check_text(item, "pizza", errors, prefix=prefix + ".", max_length=MAX_PIZZA_LENGTH)
        if item.get("size") not in PIZZA_SIZES:
            errors[prefix + ".size"] = f"must be one of {', '.join(PIZZA_SIZES)}"
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
            errors[prefix + ".quantity"] = f"must be a whole number from {MIN_QUANTITY} to {MAX_QUANTITY}"


def _check_total(total: object, errors: dict) -> None:
    # A string, so that money never passes through a binary float.
    try:
        amount = Decimal(total) if isinstance(total, str) and len(total) <= MAX_TOTAL_LENGTH else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        errors["total"] = 'must be a decimal string such as "12.50"'


def _check_callback_url(url: object, errors: dict) -> None:
    # Any http(s) URL with a host, intranet names too ("http://web:8000/hooks"): the shop will POST to it.
    if not isinstance(url, str) or len(url) > MAX_CALLBACK_URL_LENGTH or not _is_http_url(url):
        errors["callback_url"] = f"must be an http or https URL of at most {MAX_CALLBACK_URL_LENGTH} characters"


def _is_http_url(url: str) -> bool:
    if any(char.isspace() or not char.isprintable() for char in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)

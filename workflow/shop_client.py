"""The app's only way to the pizza shop: one HTTP call per attempt, classified into what we can do next."""

from dataclasses import dataclass
from functools import lru_cache

import requests
from urllib3.exceptions import NewConnectionError
from django.conf import settings

from core.strict_json import JsonRejected, loads_strict
from orders.models import Order

from .diagnostics import body_start, plain_words

# The longest reference the order keeps: a longer one is a broken answer, never stored cut short.
SHOP_ORDER_ID_MAX_LENGTH = Order._meta.get_field("shop_order_id").max_length


class ShopError(Exception):
    """A call to the shop did not get the order confirmed.

    `may_be_placed`: the request may have reached the shop and been placed there, only its answer is lost (a
    read timeout, a connection dropped after sending, a 2xx we cannot read). False when the shop clearly did
    not take it (it answered with an error, or we never got through to it).
    """

    def __init__(self, message: str, *, http_status: int | None = None, may_be_placed: bool = False, body: str = ""):
        super().__init__(message)
        self.in_words = plain_words(message)  # for a customer: no exception names (the attempt keeps those)
        self.http_status = http_status
        self.may_be_placed = may_be_placed
        self.body = body  # the start of the shop's answer, when it answered (workflow.diagnostics bounds it)


class ShopUnavailable(ShopError):
    """A transient failure (timeout, connection error, 5xx, 429): the same call may work later."""

    @classmethod
    def unexpected(cls, error: Exception) -> "ShopUnavailable":
        """An error of our own code during an attempt: treated as transient, its cause (and traceback) kept."""
        # It may have come after the request was sent: the shop may hold the order.
        wrapped = cls(f"unexpected error in our code: {error.__class__.__name__}: {error}"[:300], may_be_placed=True)
        wrapped.__cause__ = error
        return wrapped


class ShopRejected(ShopError):
    """The shop refused the order itself (a 4xx other than 429): repeating the call cannot help."""


@dataclass(frozen=True)
class ShopReceipt:
    shop_order_id: str
    http_status: int
    body: str = ""  # the start of the shop's answer

    @property
    def was_repeat(self) -> bool:
        """The shop had already accepted this idempotency key (an earlier answer was lost)."""
        return self.http_status == 200

    @property
    def is_acknowledgement(self) -> bool:
        """202: the shop has the order but decides later, and will call back (its callback mode)."""
        return self.http_status == 202


class ShopClient:
    """Places orders at the shop over HTTP, with connect and read timeouts and an idempotency key, as the
    shop's client whose key is `api_key` (settings.SHOP_API_KEY unless given): the shop shows and lets it
    act on that client's orders only."""

    def __init__(self, base_url: str, *, connect_timeout_s: float, read_timeout_s: float, session=None,
                 api_key: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.session = session or requests.Session()
        self.api_key = settings.SHOP_API_KEY if api_key is None else api_key

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    @classmethod
    def from_settings(cls) -> "ShopClient":
        return cls(
            settings.SHOP_URL,
            connect_timeout_s=settings.SHOP_CONNECT_TIMEOUT_S,
            read_timeout_s=settings.SHOP_TIMEOUT_S,
        )

    def timeout_for(self, read_timeout_s: float | None) -> tuple[float, float]:
        """(connect, read) for one call: the live policy's read timeout when given, else the client's."""
        if read_timeout_s is None:
            return self.timeout
        return (min(self.timeout[0], read_timeout_s), read_timeout_s)

    def place_order(self, payload: dict, *, idempotency_key: str, timeout_s: float | None = None) -> ShopReceipt:
        try:
            response = self.session.post(
                f"{self.base_url}/orders",
                json=payload,
                headers={"Idempotency-Key": idempotency_key, **self.auth},
                timeout=self.timeout_for(timeout_s),
                allow_redirects=False,
            )
        except requests.ConnectTimeout as error:
            raise ShopUnavailable(f"could not reach the shop in time ({error.__class__.__name__})") from error
        except requests.Timeout as error:
            raise ShopUnavailable(
                f"the shop did not answer in time ({error.__class__.__name__})", may_be_placed=True
            ) from error
        except requests.ConnectionError as error:
            if _never_connected(error):
                raise ShopUnavailable(f"could not reach the shop: {_root_cause(error)}") from error
            raise ShopUnavailable(f"the shop's answer was lost: {_root_cause(error)}", may_be_placed=True) from error
        return classify_response(response)

    def ledger(self) -> list[dict]:
        """Our own orders in the shop's ledger (GET /orders with our key): one entry per idempotency key, for
        the reconciliation sweep. Never another client's: the shop answers a client with its own entries."""
        try:
            response = self.session.get(f"{self.base_url}/orders", headers=self.auth, timeout=self.timeout)
        except requests.RequestException as error:
            raise ShopUnavailable(f"could not read the shop's ledger: {_root_cause(error)}") from error
        if response.status_code != 200:
            raise ShopUnavailable(f"the shop answered {response.status_code} for its ledger", http_status=response.status_code)
        try:
            entries = response.json()
        except ValueError:
            raise ShopUnavailable("the shop's ledger was not JSON", http_status=200) from None
        if isinstance(entries, dict):  # a paged or wrapped answer
            entries = entries.get("orders") or entries.get("results") or []
        return [entry for entry in entries if isinstance(entry, dict)]

    def cancel(self, idempotency_key: str) -> "CancelAnswer":
        """Ask the shop to cancel what it holds under the key (the compensating call). Raises ShopUnavailable."""
        try:
            response = self.session.post(
                f"{self.base_url}/orders/{idempotency_key}/cancel", json={}, headers=self.auth, timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise ShopUnavailable(f"could not ask the shop to cancel: {_root_cause(error)}") from error
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        detail = str(body.get("error") or body.get("detail") or body.get("message") or "")[:200]
        if response.status_code == 200:
            return CancelAnswer("cancelled", shop_order_id=str(body.get("shop_order_id") or ""))
        if response.status_code == 404:
            return CancelAnswer("unknown")
        if response.status_code == 409:
            return CancelAnswer("too_late", shop_order_id=str(body.get("shop_order_id") or ""),
                                detail=detail or "the shop has started making it")
        raise ShopUnavailable(f"the shop answered {response.status_code} to the cancellation: {_short_body(response)}",
                              http_status=response.status_code)

    def look_up(self, idempotency_key: str, *, timeout_s: float | None = None) -> dict | None:
        """What the shop knows of an order (its `status`: pending or accepted), or None if nothing."""
        try:
            response = self.session.get(
                f"{self.base_url}/orders/{idempotency_key}", headers=self.auth, timeout=self.timeout_for(timeout_s)
            )
        except requests.RequestException as error:
            raise ShopUnavailable(f"could not ask the shop about the order: {_root_cause(error)}") from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ShopUnavailable(f"the shop answered {response.status_code} when asked about the order", http_status=response.status_code)
        known = _json_object(response)
        if known is None:
            raise ShopUnavailable("the shop's answer about the order was not a JSON object", http_status=200)
        if "shop_order_id" in known and (problem := _reference_problem(known["shop_order_id"], "shop_order_id")):
            raise ShopUnavailable(f"the shop's answer about the order had {problem}", http_status=200)
        return known


@dataclass(frozen=True)
class CancelAnswer:
    """The shop's answer to a cancellation: cancelled (200), unknown (404: it never had it), too_late (409)."""

    state: str
    shop_order_id: str = ""
    detail: str = ""


def classify_response(response: requests.Response) -> ShopReceipt:
    """Turn the shop's answer into a receipt, or the error that says whether to try again."""
    status = response.status_code
    body = body_start(response.text)
    if status in (200, 201, 202):
        reference_field = "ticket" if status == 202 else "shop_order_id"
        answer = _json_object(response)
        # The shop may have placed the order; a repeat under the same key is safe and will tell us.
        if answer is None or reference_field not in answer:
            raise ShopUnavailable(
                f"the shop's answer had no {reference_field}", http_status=status, may_be_placed=True, body=body
            )
        if problem := _reference_problem(answer[reference_field], reference_field):
            raise ShopUnavailable(f"the shop's answer had {problem}", http_status=status, may_be_placed=True, body=body)
        return ShopReceipt(shop_order_id=answer[reference_field], http_status=status, body=body)
    if status == 429 or status >= 500:
        raise ShopUnavailable(f"the shop answered {status}: {_short_body(response)}", http_status=status, body=body)
    if status in (401, 403):
        # Our key, not the order, is refused: an operator's fix (SHOP_API_KEY) lets the next attempt through,
        # so the order keeps its retries instead of failing at once.
        raise ShopUnavailable(f"the shop refused our client key ({status}): check SHOP_API_KEY", http_status=status, body=body)
    # Other 4xx (and any 1xx/3xx, which a well-behaved shop never sends here) mean the request itself
    # is wrong: sending it again would get the same answer.
    raise ShopRejected(f"the shop refused the order ({status}): {_short_body(response)}", http_status=status, body=body)


def _json_object(response: requests.Response) -> dict | None:
    """The answer's JSON object, read as strictly as the app reads its own requests; None if it is not one."""
    try:
        answer = loads_strict(response.content, nul_ok=True)  # _reference_problem names a NUL in a reference
    except JsonRejected:
        return None
    return answer if isinstance(answer, dict) else None


def _reference_problem(reference, name: str) -> str | None:
    """What keeps a reference from the shop from being stored ("an empty shop_order_id"), or None."""
    if reference is None or reference == "":
        return f"an empty {name}"
    if not isinstance(reference, str):
        return f"a {name} that is not text"
    if len(reference) > SHOP_ORDER_ID_MAX_LENGTH:
        return f"a {name} of {len(reference)} characters (at most {SHOP_ORDER_ID_MAX_LENGTH} are kept)"
    if any(ord(character) < 32 or ord(character) == 127 for character in reference):
        return f"a {name} with control characters"
    return None


def _short_body(response: requests.Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def _never_connected(error: requests.ConnectionError) -> bool:
    """The connection was never made (refused, no route, name unknown): the request cannot have arrived."""
    cause = error
    while cause is not None:
        if isinstance(cause, (NewConnectionError, ConnectionRefusedError)):
            return True
        cause = cause.__context__ or (cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None)
        if cause is error:
            break
    return False


def _root_cause(error: BaseException) -> str:
    while error.__context__ is not None and error.__context__ is not error:
        error = error.__context__
    return f"{error.__class__.__name__}: {error}"[:300]


@lru_cache(maxsize=1)
def default_shop_client() -> ShopClient:
    """One client (and connection pool) per worker process."""
    return ShopClient.from_settings()

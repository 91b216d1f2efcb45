"""The shop's HTTP API: JSON in and out, no CSRF (it is called by programs, not browsers).

Placing, looking up and cancelling orders need a client's API key (`Authorization: Bearer <key>`, see
shop/clients.py) and act on that client's orders only; the ledger (GET /orders) answers a client with its own
orders and the control token's holder with every client's. The settings (read), stats and health are open:
they show knobs and counts, never keys. The control endpoints need the control token and JSON bodies (see
shop/control.py).
"""

from django.core.exceptions import RequestDataTooBig
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import selectors, services
from .calls_in_progress import calls_in_progress
from .cancellation import cancel_order
from .clients import client_of
from .control import control_endpoint, is_operator, refusal_of
from .models import ShopSettings
from .responses import error_response, json_response, lose
from .shop_cancels import cancel_by_shop
from .validation import InvalidInput, MalformedRequest, parse_json, validate_idempotency_key

CANCEL_SUFFIX = "/cancel"
CANCEL_BY_SHOP_SUFFIX = "/cancel-by-shop"


@method_decorator(csrf_exempt, name="dispatch")
class JsonView(View):
    """A view whose refusals are JSON too."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = error_response(405, f"method {request.method} not allowed")
        response["Allow"] = ", ".join(self._allowed_methods())
        return response


def _no_client():
    response = error_response(401, "this endpoint needs a client's key: Authorization: Bearer <SHOP_API_KEY> "
                                   "(python manage.py shopclient create NAME makes one)")
    response["WWW-Authenticate"] = 'Bearer realm="shop clients"'
    return response


class OrdersView(JsonView):
    """GET: the ledger (a client's own; every client's for the control token). POST: place an order for the
    client, once per Idempotency-Key, with the injected faults; in callback mode, acknowledge it (202) and
    call back with the decision later."""

    def get(self, request):
        """?details=true (control token only) adds each entry's customer details."""
        details = _wants_details(request)
        if details and (refusal := refusal_of(request, json_body=False)):
            return refusal
        if is_operator(request):
            entries = selectors.ledger()
            return json_response([e.to_json_with_details() if details else e.to_json_for_operator() for e in entries])
        client = client_of(request.headers.get("Authorization", ""))
        if client is None:
            return _no_client()
        return json_response([entry.to_json() for entry in selectors.ledger(client=client)])

    def post(self, request):
        with calls_in_progress.one_more():
            client = client_of(request.headers.get("Authorization", ""))
            if client is None:
                return _no_client()
            reply = services.receive_order(
                client=client, idempotency_key=request.headers.get("Idempotency-Key"), body=_read_body(request)
            )
        response = json_response(reply.body, status=reply.status)
        return lose(response) if reply.lost else response


class LedgerEntryView(JsonView):
    """GET /orders/{key}: the client's ledger entry, "pending", "accepted" or "cancelled" (the control token
    may read any client's: ?client=NAME when two clients used one key; ?details=true as for the ledger).
    POST /orders/{key}/cancel: the client cancels it. POST /orders/{key}/cancel-by-shop: the shop cancels an
    order it had accepted (control token). Every GET is a look-up, whatever the key ends with."""

    def get(self, request, key_path):
        details = _wants_details(request)
        if details and (refusal := refusal_of(request, json_body=False)):
            return refusal
        operator = is_operator(request)
        client = None if operator else client_of(request.headers.get("Authorization", ""))
        if not operator and client is None:
            return _no_client()
        try:
            key = validate_idempotency_key(key_path, field="idempotency_key")
        except MalformedRequest as error:
            return json_response({"errors": error.errors}, status=400)
        if operator:
            entry = selectors.find_ledger_entry(key, client_name=request.GET.get("client"))
        else:
            entry = selectors.find_ledger_entry(key, client=client)
        if entry is None:
            return error_response(404, "unknown idempotency key")
        if operator:
            return json_response(entry.to_json_with_details() if details else entry.to_json_for_operator())
        return json_response(entry.to_json())

    def post(self, request, key_path):
        if key_path.endswith(CANCEL_BY_SHOP_SUFFIX):
            return self._cancel_by_shop(request, key_path.removesuffix(CANCEL_BY_SHOP_SUFFIX))
        if not key_path.endswith(CANCEL_SUFFIX):
            return error_response(404, f"no such endpoint: {request.path} (cancel with POST /orders/{{key}}/cancel)")
        client = client_of(request.headers.get("Authorization", ""))
        if client is None:
            return _no_client()
        reply = cancel_order(key_path.removesuffix(CANCEL_SUFFIX), client=client)
        response = json_response(reply.body, status=reply.status)
        return lose(response) if reply.lost else response

    def _cancel_by_shop(self, request, raw_key):
        if refusal := refusal_of(request, json_body=True):
            return refusal
        try:
            body = _read_body(request)
            data = {} if body == b"" else parse_json(body)
        except InvalidInput as error:
            return json_response({"errors": error.errors}, status=400)
        reply = cancel_by_shop(raw_key, data)
        return json_response(reply.body, status=reply.status)


class SettingsView(JsonView):
    """GET: the fault knobs. PUT: change the knobs given, all or nothing."""

    def get(self, request):
        return json_response(ShopSettings.load().to_json())

    @control_endpoint(json_body=True)
    def put(self, request):
        try:
            knobs = services.change_settings(parse_json(_read_body(request)))
        except InvalidInput as error:
            return json_response({"errors": error.errors}, status=400)
        return json_response(knobs.to_json())


class ResetView(JsonView):
    """POST: empty the ledger, zero the counters, restore the default knobs. The body, if any, is `{}`."""

    @control_endpoint(json_body=True)
    def post(self, request):
        try:
            body = _read_body(request)
            if body != b"" and parse_json(body) != {}:
                return json_response({"errors": {"body": "must be empty or {}"}}, status=400)
        except InvalidInput as error:
            return json_response({"errors": error.errors}, status=400)
        return json_response(services.reset_shop().to_json())


class StatsView(JsonView):
    """GET: how the calls to POST /orders and the callbacks ended, the ledger's size, any duplicate order
    references, and how many calls to POST /orders are under way."""

    def get(self, request):
        return json_response(selectors.shop_stats())


class HealthView(JsonView):
    """GET: answers at once whatever the knobs say, so that a starter can tell the shop is serving."""

    def get(self, request):
        return json_response({"status": "ok"})


def _wants_details(request) -> bool:
    return request.GET.get("details", "").lower() in ("1", "true", "yes")


def _read_body(request) -> bytes | None:
    """The request's body, or None when it is over Django's DATA_UPLOAD_MAX_MEMORY_SIZE."""
    try:
        return request.body
    except RequestDataTooBig:
        return None


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any path the API does not have."""
    return error_response(404, f"no such endpoint: {request.path}")

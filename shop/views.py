"""The shop's HTTP API: JSON in and out, no CSRF (it is called by programs, not browsers).

Open to anyone who can reach the shop: placing, looking up and cancelling orders (what a client of a shop
does), the ledger without customer details, the settings (read), stats and health. The control endpoints
need the control token and JSON bodies (see shop/control.py).
"""

from django.core.exceptions import RequestDataTooBig
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import selectors, services
from .cancellation import cancel_order
from .control import control_endpoint, refusal_of
from .models import ShopSettings
from .responses import error_response, json_response, lose
from .validation import InvalidInput, MalformedRequest, parse_json, validate_idempotency_key

CANCEL_SUFFIX = "/cancel"


@method_decorator(csrf_exempt, name="dispatch")
class JsonView(View):
    """A view whose refusals are JSON too."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = error_response(405, f"method {request.method} not allowed")
        response["Allow"] = ", ".join(self._allowed_methods())
        return response


class OrdersView(JsonView):
    """GET: the ledger. POST: place an order, once per Idempotency-Key, with the injected faults; in
    callback mode, acknowledge it (202) and call back with the decision later."""

    def get(self, request):
        """The ledger; with ?details=true (and the control token) each entry's customer details too."""
        details = _wants_details(request)
        if details and (refusal := refusal_of(request, json_body=False)):
            return refusal
        return json_response([_entry_json(entry, details) for entry in selectors.ledger()])

    def post(self, request):
        reply = services.receive_order(idempotency_key=request.headers.get("Idempotency-Key"), body=_read_body(request))
        response = json_response(reply.body, status=reply.status)
        return lose(response) if reply.lost else response


class LedgerEntryView(JsonView):
    """GET /orders/{key}: one ledger entry, "pending", "accepted" or "cancelled" (?details=true as for the
    ledger). POST /orders/{key}/cancel: cancel it. Every GET is a look-up, whatever the key ends with."""

    def get(self, request, key_path):
        details = _wants_details(request)
        if details and (refusal := refusal_of(request, json_body=False)):
            return refusal
        try:
            key = validate_idempotency_key(key_path, field="idempotency_key")
        except MalformedRequest as error:
            return json_response({"errors": error.errors}, status=400)
        entry = selectors.find_ledger_entry(key)
        if entry is None:
            return error_response(404, "unknown idempotency key")
        return json_response(_entry_json(entry, details))

    def post(self, request, key_path):
        if not key_path.endswith(CANCEL_SUFFIX):
            return error_response(404, f"no such endpoint: {request.path} (cancel with POST /orders/{{key}}/cancel)")
        reply = cancel_order(key_path.removesuffix(CANCEL_SUFFIX))
        response = json_response(reply.body, status=reply.status)
        return lose(response) if reply.lost else response


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
    """GET: how the calls to POST /orders and the callbacks ended, the ledger's size and any duplicate order
    references."""

    def get(self, request):
        return json_response(selectors.shop_stats())


class HealthView(JsonView):
    """GET: answers at once whatever the knobs say, so that a starter can tell the shop is serving."""

    def get(self, request):
        return json_response({"status": "ok"})


def _wants_details(request) -> bool:
    return request.GET.get("details", "").lower() in ("1", "true", "yes")


def _entry_json(entry, details: bool) -> dict:
    return entry.to_json_with_details() if details else entry.to_json()


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

"""The shop's HTTP API: JSON in and out, no CSRF (it is called by programs, not browsers)."""

from django.core.exceptions import RequestDataTooBig
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import selectors, services
from .models import ShopSettings
from .responses import error_response, json_response, lose
from .validation import InvalidInput, parse_json


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
        return json_response([entry.to_json() for entry in selectors.ledger()])

    def post(self, request):
        reply = services.receive_order(idempotency_key=request.headers.get("Idempotency-Key"), body=_read_body(request))
        response = json_response(reply.body, status=reply.status)
        return lose(response) if reply.lost else response


class LedgerEntryView(JsonView):
    """GET: one ledger entry by its idempotency key, "pending" or "accepted"."""

    def get(self, request, idempotency_key):
        entry = selectors.find_ledger_entry(idempotency_key)
        if entry is None:
            return error_response(404, "unknown idempotency key")
        return json_response(entry.to_json())


class SettingsView(JsonView):
    """GET: the fault knobs. PUT: change the knobs given, all or nothing."""

    def get(self, request):
        return json_response(ShopSettings.load().to_json())

    def put(self, request):
        try:
            knobs = services.change_settings(parse_json(_read_body(request)))
        except InvalidInput as error:
            return json_response({"errors": error.errors}, status=400)
        return json_response(knobs.to_json())


class ResetView(JsonView):
    """POST: empty the ledger, zero the counters, restore the default knobs."""

    def post(self, request):
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

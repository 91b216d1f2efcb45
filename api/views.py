"""The order API: JSON over HTTP for machine clients, documented at /api/docs (OpenAPI at /api/openapi.json).

No endpoint uses cookies or sessions, so none needs CSRF protection (django-ninja exempts them when no
authentication is configured): a browser's cookies give a forged request nothing it could not do itself.
"""

from django.http import HttpRequest, HttpResponse

from ninja import Header, NinjaAPI, Path, Status, Swagger

from core.rate_limit import count_order_request
from workflow.cancellation import NotCancellable, request_cancellation

from . import errors
from .parsers import JsonParser
from .schemas import Error, MenuOut, OrderAccepted, OrderIn, OrderOut, status_url
from .selectors import find_order, menu_pizzas
from .services import place_api_order

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # 1 to 255 visible ASCII characters, e.g. a UUID

api = NinjaAPI(
    title="Async Pizza order API",
    version="1",
    description=(
        "Order pizzas from a program. An order is answered at once (202) and goes to the shop in the "
        "background; poll its `status_url`, or give a `callback_url` to be told when it is final. Every error "
        "has the shape of `Error`. See the README's section \"The order API\"."
    ),
    urls_namespace="api",
    # Swagger UI from django-ninja's own static files ("ninja" is in INSTALLED_APPS), without the online
    # validator's badge, so the docs page loads nothing from outside.
    docs=Swagger(settings={"validatorUrl": None, "deepLinking": False}),
    parser=JsonParser(),
)
errors.install(api)

RETRY_AFTER = {"Retry-After": {"description": "Seconds until an order is taken again.", "schema": {"type": "integer"}}}
ORDER_ANSWERS = {
    "Location": {"description": "The order's `status_url`.", "schema": {"type": "string", "format": "uri"}},
}


@api.post(
    "/orders",
    response={
        200: OrderAccepted, 202: OrderAccepted, 400: Error, 413: Error, 415: Error, 422: Error, 429: Error, 502: Error,
        503: Error,
    },
    url_name="orders",
    operation_id="placeOrder",
    tags=["orders"],
    summary="Place an order",
    description=(
        "Checked as the order form checks it, then committed with the job that sends it to the shop in one "
        "transaction. **202**: placed. **200**: the `Idempotency-Key` placed this order before with the same "
        "body; nothing new was placed (the answer shows the order as it is now). **422** with the field "
        "`Idempotency-Key`: the key came before with a different body (also when that request's answer was lost "
        "in the synchronous mode: the shop may hold it, and nothing was kept here but the key). **400**: the body "
        "is not a JSON object. **415**: the body is not `application/json`. **422**: the fields named in `errors` are wrong. "
        "**429**: too many orders from this address (`ORDER_RATE_LIMIT`); `Retry-After` says when to try again. "
        "**502**/**503** (only when the store-order step runs inside the request): the shop did not take the "
        "order, or we are too busy; nothing was kept."
    ),
    openapi_extra={"responses": {
        202: {"headers": ORDER_ANSWERS}, 200: {"headers": ORDER_ANSWERS}, 429: {"headers": RETRY_AFTER},
    }},
)
def create_order(
    request: HttpRequest,
    response: HttpResponse,
    body: OrderIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Makes a retry safe: the same key with the same body answers with the same order.",
    ),
):
    count_order_request(request)  # raises RateLimited: 429 (api.errors)
    placement = place_api_order(body=body.model_dump(), idempotency_key=idempotency_key)
    response["Location"] = status_url(placement.order, request)
    return Status(200 if placement.replayed else 202, placement.order)


@api.get(
    "/orders/{order_id}",
    response={200: OrderOut, 404: Error},
    url_name="order",
    operation_id="getOrder",
    tags=["orders"],
    summary="An order, its attempts at the shop and its notifications",
)
def get_order(
    request: HttpRequest,
    order_id: str = Path(description="The order's public id: `id` in the answer to `POST /api/orders`."),
):
    order = find_order(order_id)
    if order is None:
        return Status(404, errors.error_body("No order has this id."))
    return order


@api.post(
    "/orders/{order_id}/cancel",
    response={202: OrderOut, 404: Error, 409: Error},
    url_name="cancel-order",
    operation_id="cancelOrder",
    tags=["orders"],
    summary="Cancel an order",
    description=(
        "No body. **202**: the cancellation is under way or done; the answer shows the order as it is now. "
        "`cancelled`: the shop could not hold it yet, or has agreed. `cancelling`: the shop may hold it, so the "
        "app asks it to cancel (retried with backoff); poll `status_url` or wait for the notification. It ends "
        "`cancelled`, or `confirmed` with `cancel_refused_reason` set when the shop says it is too late. Asking "
        "again changes nothing and answers 202 again. **409**: too late (the shop refused a cancellation "
        "before), or the order failed (nothing to cancel); `message` says which. **404**: no such order."
    ),
)
def cancel_order(
    request: HttpRequest,
    order_id: str = Path(description="The order's public id: `id` in the answer to `POST /api/orders`."),
):
    order = find_order(order_id)
    if order is None:
        return Status(404, errors.error_body("No order has this id."))
    try:
        request_cancellation(order.pk, by="api")
    except NotCancellable as refusal:
        return Status(409, errors.error_body(str(refusal)))
    return Status(202, find_order(order_id))


@api.get("/menu", response=MenuOut, url_name="menu", operation_id="getMenu", tags=["menu"],
         summary="The pizzas on the menu, with a price per size")
def get_menu(request: HttpRequest):
    return {"pizzas": list(menu_pizzas())}

"""Every error the API answers, in one shape: {"message": "...", "errors": [{"field": ..., "message": ...}]}.

Registered on the NinjaAPI in api.views, so that no operation answers with an HTML error page, and bad input
of any kind (not JSON, wrong type, null, unknown field, huge number) gets a 4xx naming the field.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse
from ninja.errors import HttpError, ValidationError

from core.body_limit import too_large
from core.rate_limit import RateLimited
from orders.process import OrderNotPlaced
from workflow.idempotency import IdempotencyKeyReused
from workflow.start import ShopAnswerLost, ShopRefusedInRequest

from .parsers import UnsupportedMediaType
from .services import OrderRejected

# Where ninja says a part of the request came from, and the name of the view's body argument.
BODY = "body"
BODY_ARGUMENT = "body"


def error_body(message: str, errors: list[tuple[str | None, str]] = ()) -> dict:
    return {"message": message, "errors": [{"field": field, "message": text} for field, text in errors]}


def install(api) -> None:
    def answer(request, status: int, message: str, errors=(), headers=None) -> HttpResponse:
        response = api.create_response(request, error_body(message, errors), status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    @api.exception_handler(ValidationError)
    def invalid_shape(request, exc: ValidationError):
        errors = []
        for error in exc.errors:
            source, *path = error["loc"]
            if source == BODY and path and path[0] == BODY_ARGUMENT:
                path = path[1:]
            if source == BODY and not path:  # the body as a whole: missing, or not an object
                return answer(request, 400, "The body must be a JSON object describing the order.")
            errors.append((".".join(str(part) for part in path), error["msg"]))
        return answer(request, 422, "The request is not a valid order.", errors)

    @api.exception_handler(OrderRejected)
    def rejected(request, exc: OrderRejected):
        return answer(request, 422, "The request is not a valid order.", exc.errors)

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc: RateLimited):
        return answer(request, 429, f"{exc} Nothing was placed.", headers={"Retry-After": str(exc.retry_after_s)})

    @api.exception_handler(IdempotencyKeyReused)
    def key_reused(request, exc: IdempotencyKeyReused):
        first = ("" if exc.order_kept else
                 " The first request with it reached the shop, whose answer was lost, so the shop may hold that order.")
        return answer(
            request,
            422,
            f"This Idempotency-Key was used before with a different body; nothing was placed.{first}",
            [("Idempotency-Key", "Use a new key for a new order, or repeat the first body exactly to get its order.")],
        )

    @api.exception_handler(OrderNotPlaced)
    def not_placed(request, exc: OrderNotPlaced):
        # Only the synchronous store mode calls the shop within the request: its error is the shop's (502);
        # anything else is our own lack of capacity right now (503).
        if isinstance(exc, ShopAnswerLost):
            return answer(request, 502, "The order was sent, but the pizza shop's answer was lost: "
                          "the shop may have it. Nothing was kept here. Sending the same request again with the same "
                          "Idempotency-Key is safe: it reaches the shop under the same key, and no second pizza is "
                          "ordered. Without an Idempotency-Key, a new request may order a second one.")
        if isinstance(exc, ShopRefusedInRequest):
            return answer(request, 502, f"The pizza shop did not take the order ({exc.__cause__.in_words}). "
                          "Nothing was ordered and nothing was kept: the request can be sent again.")
        return answer(request, 503, "Too busy to take the order right now. Nothing was ordered and nothing was "
                      "kept: try again shortly.", headers={"Retry-After": "1"})

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        # ninja raises HttpError(400) when the parser fails; the parser's own exception (api.parsers) says why.
        cause = exc.__cause__
        if isinstance(cause, UnsupportedMediaType):
            return answer(request, 415, f"Unsupported media type: {cause}.")
        if isinstance(cause, (ValueError, RecursionError)):
            return answer(request, 400, f"The body is not valid JSON ({cause}).")
        return answer(request, exc.status_code, exc.message)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):  # core.body_limit answers first; this keeps the same answer if a body gets here
        return too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return answer(request, 404, "Not found.")

"""POST and GET /api/order-batches: mounted on the order API (api.views.api) by BatchesConfig.ready()."""

from django.http import HttpRequest, HttpResponse
from ninja import Header, Path, Query, Router, Status

from api import errors
from api.schemas import Error
from api.views import IDEMPOTENCY_KEY_PATTERN, RETRY_AFTER
from core.rate_limit import count_order_request

from .schemas import BatchAccepted, BatchOut, batch_out, request_body_schema, status_url
from .selectors import find_batch
from .staging import BatchRefused, read_body, stage_batch

router = Router(tags=["order batches"])

LOCATION = {"Location": {"description": "The batch's `status_url`.", "schema": {"type": "string", "format": "uri"}}}


@router.post(
    "",
    response={200: BatchAccepted, 202: BatchAccepted, 400: Error, 413: Error, 415: Error,
              422: Error, 429: Error},
    url_name="order-batches",
    operation_id="stageOrderBatch",
    summary="Stage a batch of orders",
    description=(
        "Stages the rows (one bulk insert) and answers at once; the rows become orders in the background, "
        "each as `POST /api/orders` would place it. **202**: staged; poll `status_url`, or give a `callback_url` "
        "to get a signed notification once every row is final. **200**: the `Idempotency-Key` staged this batch "
        "before with the same body; nothing new was staged. **422** with the field `Idempotency-Key`: the key came "
        "before with another body. **413**: more rows than `BATCH_MAX_ROWS` or more bytes than `BATCH_MAX_BYTES` "
        "(the field names the limit). **415**: neither `application/json` nor `text/csv`. **400**: not JSON or "
        "CSV that can be read. **422**: no rows, a CSV header other than `pizza,size,quantity,name,email,address`, "
        "an unknown field, a bad `callback_url`. A bad row does not refuse the batch: it is reported with its "
        "number in `errors`."
    ),
    openapi_extra={
        "requestBody": request_body_schema(),
        "responses": {202: {"headers": LOCATION}, 200: {"headers": LOCATION}, 429: {"headers": RETRY_AFTER}},
    },
)
def post_batch(
    request: HttpRequest,
    response: HttpResponse,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Makes a retry safe: the same key with the same body answers with the same batch.",
    ),
    callback_url: str | None = Query(
        None, max_length=500, description="CSV bodies only (JSON has its own `callback_url`): where to POST a "
        "signed notification once every row is final.",
    ),
):
    count_order_request(request)  # a batch counts as one request; raises RateLimited: 429 (api.errors)
    try:
        if callback_url is not None and request.content_type != "text/csv":
            raise BatchRefused(422, "callback_url goes in the JSON body; the query parameter is for CSV bodies.",
                               field="callback_url")
        body = read_body(request, content_length=_content_length(request))
        staging = stage_batch(body, content_type=request.content_type or "", idempotency_key=idempotency_key,
                              callback_url=callback_url or "")
    except BatchRefused as refusal:
        return Status(refusal.status, errors.error_body(str(refusal), [(refusal.field, refusal.detail)] if refusal.field else []))
    response["Location"] = status_url(staging.batch, request)
    return Status(200 if staging.replayed else 202, {
        "id": staging.batch.public_id, "status": staging.batch.status, "rows": staging.batch.row_count,
        "status_url": response["Location"],
    })


def _content_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


@router.get(
    "/{batch_id}",
    response={200: BatchOut, 404: Error},
    url_name="order-batch",
    operation_id="getOrderBatch",
    summary="A batch: its status, counts, row errors and each row's order",
)
def get_batch(
    request: HttpRequest,
    batch_id: str = Path(description="The batch's public id: `id` in the answer to `POST /api/order-batches`."),
):
    batch = find_batch(batch_id)
    if batch is None:
        return Status(404, errors.error_body("No batch has this id."))
    return batch_out(batch, request)

"""The JSON shapes of /api/order-batches, for the OpenAPI schema and the answers."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from django.conf import settings
from django.urls import reverse
from ninja import Schema
from pydantic import Field

from api.models import CallbackDelivery, DeliveryState
from orders.models import OrderStatus

from .models import BatchStatus
from .queue import batch_group
from .staging import CSV_HEADER

URI = Annotated[str, Field(json_schema_extra={"format": "uri"})]


def status_url(batch, request) -> str:
    return request.build_absolute_uri(reverse("api:order-batch", kwargs={"batch_id": batch.public_id}))


class BatchAccepted(Schema):
    id: UUID = Field(description="The batch's public id.")
    status: BatchStatus
    rows: int = Field(description="Rows staged.")
    status_url: URI = Field(description="This batch in the API (`GET`); also the `Location` header.")


class RowError(Schema):
    row: int = Field(description="The row's number: 1 for the first order (JSON) or the first line after the header (CSV).")
    field: str | None = Field(description="The offending field (`customer.email`; a CSV column's name), or null for the row as a whole.")
    message: str


class RowOrder(Schema):
    row: int
    id: UUID = Field(description="The order's public id (`GET /api/orders/{id}`).")
    status: OrderStatus


class BatchNotification(Schema):
    state: DeliveryState
    tries: int
    last_http_status: int | None
    delivered_at: datetime | None


class BatchOut(BatchAccepted):
    staged: int = Field(description="Rows not transformed yet.")
    placed: int = Field(description="Rows that became an order.")
    invalid: int = Field(description="Rows kept with their errors; no order.")
    confirmed: int
    failed: int
    cancelled: int
    open: int = Field(description="Placed orders not final yet.")
    errors: list[RowError]
    orders: list[RowOrder] = Field(description="Each placed row's order, by row number.")
    callback_url: str | None
    notification: BatchNotification | None = Field(description="The signed notification to `callback_url`, once final.")
    created_at: datetime
    started_at: datetime | None
    transformed_at: datetime | None = Field(description="When the last row was placed or found invalid.")
    finished_at: datetime | None = Field(description="When every row was final.")


def batch_out(batch, request) -> dict:
    """The answer of GET /api/order-batches/{id}: three queries whatever the size."""
    counts = batch.counts()
    rows = batch.rows.order_by("number")
    errors = [
        {"row": number, **error}
        for number, row_errors in rows.filter(status="invalid").values_list("number", "errors")
        for error in row_errors
    ]
    orders = [
        {"row": number, "id": public_id, "status": status}
        for number, public_id, status in rows.filter(order__isnull=False).values_list(
            "number", "order__public_id", "order__status"
        )
    ]
    notification = CallbackDelivery.objects.filter(subject=batch_group(batch.public_id)).first()
    return {
        "id": batch.public_id, "status": batch.status, "status_url": status_url(batch, request), **counts,
        "errors": errors, "orders": orders, "callback_url": batch.callback_url or None, "notification": notification,
        "created_at": batch.created_at, "started_at": batch.started_at, "transformed_at": batch.transformed_at,
        "finished_at": batch.finished_at,
    }


def request_body_schema():
    """Both bodies POST /api/order-batches takes, for the OpenAPI schema (the view reads the body itself)."""
    return {
        "required": True,
        "description": f"At most BATCH_MAX_ROWS ({settings.BATCH_MAX_ROWS:,}) rows and BATCH_MAX_BYTES "
        f"({settings.BATCH_MAX_BYTES:,}) bytes.",
        "content": {
            "application/json": {"schema": {
                "type": "object",
                "additionalProperties": False,
                "required": ["orders"],
                "properties": {
                    "orders": {"type": "array", "minItems": 1, "maxItems": settings.BATCH_MAX_ROWS,
                               # POST /api/orders's own body (in the schema's components through that operation).
                               "items": {"$ref": "#/components/schemas/OrderIn"},
                               "description": "Each an order, as the body of `POST /api/orders`."},
                    "callback_url": {"type": ["string", "null"], "format": "uri", "maxLength": 500,
                                     "description": "Where to POST a signed notification once every row is final."},
                },
            }},
            "text/csv": {"schema": {
                "type": "string",
                "description": f"The header `{','.join(CSV_HEADER)}`, then one order a line.",
                "example": f"{','.join(CSV_HEADER)}\nmargherita,medium,2,Ada,ada@example.com,1 Pizza Street\n",
            }},
        },
    }

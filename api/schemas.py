"""The API's JSON shapes, for the OpenAPI schema, for checking a body's shape, and for the answers: each Out
schema reads straight from the model (`OrderOut.from_orm(order)` is what ninja does with a returned order),
with resolvers for what the model does not hold as such (slugs, prices as strings, absolute URLs).

A request body is checked here for its shape only (types, required fields, no unknown fields); the rules on
values (lengths, ranges, choices, a pizza on the menu) are the order form's, checked by api.forms. The
limits shown in the schema are read from that form, so they are stated once.
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from django.urls import reverse
from ninja import Schema
from pydantic import ConfigDict, Field

from orders.models import MailStatus, Order, OrderStatus, Pizza, Size, StoreMode
from workflow.models import AttemptOutcome

from .forms import ApiOrderForm
from .models import DeliveryState

_FORM = ApiOrderForm.base_fields
PRICE_PATTERN = r"^\d+\.\d{2}$"
# The menu's prices are euros, as the order pages show them.
CURRENCY = "EUR"


def _text(form_field: str, description: str, **schema) -> object:
    field = _FORM[form_field]
    limits = {"maxLength": field.max_length, **({"minLength": 1} if field.required else {})}
    return Field(description=description, json_schema_extra={**limits, **schema})


# --- In ---------------------------------------------------------------------------------------------


class Strict(Schema):
    # strict: "3" is not an integer and 3 is not a string; forbid: a misspelt field is an error, not ignored.
    model_config = ConfigDict(extra="forbid", strict=True)


class CustomerIn(Strict):
    name: str = _text("name", "Who the pizza is for.")
    email: str = _text("email", "Where the confirmation or failure mail goes.", format="email")
    address: str = _text("address", "The delivery address.")


class OrderIn(Strict):
    pizza: str = Field(
        description="A pizza's `slug` from `GET /api/menu`.", json_schema_extra={"examples": ["margherita"]}
    )
    size: str = Field(json_schema_extra={"enum": [size.value for size in Size]})
    quantity: int = Field(
        json_schema_extra={"minimum": _FORM["quantity"].min_value, "maximum": _FORM["quantity"].max_value}
    )
    customer: CustomerIn
    callback_url: str | None = Field(
        None,
        description="Optional: where to POST a signed notification once the order is final (http or https).",
        json_schema_extra={"format": "uri", "maxLength": _FORM["callback_url"].max_length},
    )


# --- Out --------------------------------------------------------------------------------------------


class FieldError(Schema):
    field: str | None = Field(
        description="The offending field as a dotted path in the body (`customer.email`), a header's name "
        "(`Idempotency-Key`), or null when the error is about the request as a whole."
    )
    message: str


class Error(Schema):
    """Every error answer of the API has this shape."""

    message: str
    errors: list[FieldError] = Field(description="One entry per offending field; empty if none is to blame.")


def price(amount) -> str:
    return f"{amount:.2f}"


def status_url(order: Order, request) -> str:
    """This order in the API, as an absolute URL (the `Location` of POST /api/orders, too)."""
    return request.build_absolute_uri(reverse("api:order", kwargs={"order_id": order.public_id}))


class OrderAccepted(Schema):
    id: UUID = Field(description="The order's public id.")
    status: OrderStatus
    status_url: Annotated[str, Field(json_schema_extra={"format": "uri"})] = Field(
        description="This order in the API (`GET`); also the `Location` header."
    )
    page_url: Annotated[str, Field(json_schema_extra={"format": "uri"})] = Field(
        description="The customer's status page (HTML)."
    )

    @staticmethod
    def resolve_id(order: Order) -> UUID:
        return order.public_id  # not the primary key, which is nobody's business

    @staticmethod
    def resolve_status_url(order: Order, context) -> str:
        return status_url(order, context["request"])

    @staticmethod
    def resolve_page_url(order: Order, context) -> str:
        return context["request"].build_absolute_uri(order.get_absolute_url())


class AttemptOut(Schema):
    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: AttemptOutcome
    http_status: int | None = Field(description="The shop's HTTP status, if it answered.")
    duration_ms: int | None


class NotificationOut(Schema):
    status: OrderStatus = Field(description="The final status it announces.")
    state: DeliveryState
    tries: int
    last_tried_at: datetime | None
    last_http_status: int | None
    delivered_at: datetime | None


class OrderOut(OrderAccepted):
    mode: StoreMode = Field(description="How its store-order step ran: a background job, or in the request.")
    pizza: str = Field(description="The pizza's `slug`.")
    size: str
    quantity: int
    unit_price: str = Field(pattern=PRICE_PATTERN)
    total_price: str = Field(pattern=PRICE_PATTERN)
    currency: str
    attempts_made: int
    attempt_limit: int
    next_attempt_at: datetime | None = Field(description="When the next attempt is due, while waiting to retry.")
    attempts: list[AttemptOut]
    shop_order_id: str | None = Field(description="The shop's reference, once confirmed.")
    failure_reason: str | None
    callback_url: str | None
    notifications: list[NotificationOut]
    created_at: datetime
    first_sent_at: datetime | None
    confirmed_at: datetime | None
    failed_at: datetime | None
    cancel_requested_at: datetime | None = Field(description="When a cancellation was asked for.")
    cancelled_at: datetime | None
    final_at: datetime | None = Field(
        description="When the order reached its final status (`confirmed_at`, `failed_at` or `cancelled_at`, by "
        "`status`); null while it is open. The notification's `final_at` is the same."
    )
    cancel_reason: str | None = Field(
        description="Why it was cancelled, when the shop cancelled it after accepting it (\"the shop cancelled it: …\")."
    )
    cancel_refused_reason: str | None = Field(
        description="Set when the shop said it was too late to cancel: the order stays `confirmed`."
    )
    mail_status: MailStatus | None = Field(
        description="The customer's status mail: `sent`, `retrying` (refused for now), `undeliverable` (refused for good)."
    )
    updated_at: datetime

    @staticmethod
    def resolve_cancel_reason(order: Order) -> str | None:
        return order.cancel_reason or None

    @staticmethod
    def resolve_cancel_refused_reason(order: Order) -> str | None:
        return order.cancel_refused_reason or None

    @staticmethod
    def resolve_mail_status(order: Order) -> str | None:
        return order.mail_status or None

    @staticmethod
    def resolve_notifications(order: Order):
        return order.callback_deliveries.all()

    @staticmethod
    def resolve_pizza(order: Order) -> str:
        return order.pizza.slug

    @staticmethod
    def resolve_unit_price(order: Order) -> str:
        return price(order.unit_price)

    @staticmethod
    def resolve_total_price(order: Order) -> str:
        return price(order.total_price)

    @staticmethod
    def resolve_currency(order: Order) -> str:
        return CURRENCY

    # Blank text in the model is "none" in the API.
    @staticmethod
    def resolve_shop_order_id(order: Order) -> str | None:
        return order.shop_order_id or None

    @staticmethod
    def resolve_failure_reason(order: Order) -> str | None:
        return order.failure_reason or None

    @staticmethod
    def resolve_callback_url(order: Order) -> str | None:
        return order.callback_url or None


class SizeOut(Schema):
    size: str
    label: str


class PizzaOut(Schema):
    slug: str
    name: str
    description: str
    prices: dict[str, str] = Field(description="The price of one pizza for each size, as a decimal string.")

    @staticmethod
    def resolve_prices(pizza: Pizza) -> dict[str, str]:
        return {size.value: price(pizza.price_for(size)) for size in Size}


class MenuOut(Schema):
    currency: str = CURRENCY
    sizes: list[SizeOut] = Field(default_factory=lambda: [SizeOut(size=size.value, label=size.label) for size in Size])
    pizzas: list[PizzaOut]

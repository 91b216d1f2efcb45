"""What the API answers about orders and the menu (see api.schemas for the shapes)."""

from django.http import HttpRequest
from django.urls import reverse

from orders.models import Order, Size

from .schemas import CURRENCY


def order_urls(order: Order, request: HttpRequest) -> dict:
    return {
        "status_url": request.build_absolute_uri(reverse("api:order", kwargs={"order_id": order.public_id})),
        "page_url": request.build_absolute_uri(order.get_absolute_url()),
    }


def accepted(order: Order, request: HttpRequest) -> dict:
    return {"id": order.public_id, "status": order.status, **order_urls(order, request)}


def order_detail(order: Order, request: HttpRequest) -> dict:
    return {
        "id": order.public_id,
        "status": order.status,
        "mode": order.mode,
        "pizza": order.pizza.slug,
        "size": order.size,
        "quantity": order.quantity,
        "unit_price": f"{order.unit_price:.2f}",
        "total_price": f"{order.total_price:.2f}",
        "currency": CURRENCY,
        "attempts_made": order.attempts_made,
        "attempt_limit": order.attempt_limit,
        "next_attempt_at": order.next_attempt_at,
        "attempts": [
            {
                "number": attempt.number,
                "started_at": attempt.started_at,
                "finished_at": attempt.finished_at,
                "outcome": attempt.outcome,
                "http_status": attempt.http_status,
                "duration_ms": attempt.duration_ms,
            }
            for attempt in order.attempts.all()
        ],
        "shop_order_id": order.shop_order_id or None,
        "failure_reason": order.failure_reason or None,
        "callback_url": order.callback_url or None,
        "notifications": [
            {
                "status": delivery.status,
                "state": delivery.state,
                "tries": delivery.tries,
                "last_tried_at": delivery.last_tried_at,
                "last_http_status": delivery.last_http_status,
                "delivered_at": delivery.delivered_at,
            }
            for delivery in order.callback_deliveries.all()
        ],
        "created_at": order.created_at,
        "first_sent_at": order.first_sent_at,
        "confirmed_at": order.confirmed_at,
        "failed_at": order.failed_at,
        "cancel_requested_at": order.cancel_requested_at,
        "cancelled_at": order.cancelled_at,
        "cancel_refused_reason": order.cancel_refused_reason or None,
        "mail_status": order.mail_status or None,
        "updated_at": order.updated_at,
        **order_urls(order, request),
    }


def menu(pizzas) -> dict:
    return {
        "currency": CURRENCY,
        "sizes": [{"size": size.value, "label": size.label} for size in Size],
        "pizzas": [
            {
                "slug": pizza.slug,
                "name": pizza.name,
                "description": pizza.description,
                "prices": {size.value: f"{pizza.price_for(size):.2f}" for size in Size},
            }
            for pizza in pizzas
        ],
    }

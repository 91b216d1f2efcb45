"""Reads for the API."""

import uuid

from orders.models import Order, Pizza


def find_order(public_id: str) -> Order | None:
    """The order with this public id, with what its API resource shows; None if the id is unknown or malformed."""
    try:
        public_id = uuid.UUID(public_id)
    except ValueError:
        return None
    orders = Order.objects.select_related("pizza").prefetch_related("attempts", "callback_deliveries")
    return orders.filter(public_id=public_id).first()


def menu_pizzas():
    return Pizza.objects.available()

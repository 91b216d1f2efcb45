"""Writes on the customer's side. The form (and later the API) place orders only through here."""

from django.db import transaction

from workflow.jobs import enqueue_store_order
from workflow.retry_policy import RetryPolicy

from .models import Order, Pizza


def quote(*, pizza: Pizza, size: str, quantity: int):
    unit_price = pizza.price_for(size)
    return unit_price, unit_price * quantity


def place_order(*, pizza: Pizza, size: str, quantity: int, name: str, email: str, address: str) -> Order:
    """Commit the order and the job that will send it to the shop, in one transaction.

    This does not wait for the shop: the answer to the customer depends on our database alone.
    """
    unit_price, total_price = quote(pizza=pizza, size=size, quantity=quantity)
    order = Order(
        pizza=pizza,
        size=size,
        quantity=quantity,
        customer_name=name,
        customer_email=email,
        delivery_address=address,
        unit_price=unit_price,
        total_price=total_price,
        attempt_limit=RetryPolicy.from_settings().max_attempts,
    )
    order.full_clean()
    with transaction.atomic():
        order.save()
        enqueue_store_order(order)
    return order

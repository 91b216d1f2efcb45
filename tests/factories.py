"""Orders for tests, made through the same service the form uses, or directly where the test needs it."""

from orders.models import Order
from orders.menu import quote


def make_order(menu, *, pizza="margherita", size="medium", quantity=2, attempt_limit=3, **fields) -> Order:
    """An order row without its job: for tests of the model alone."""
    unit_price, total = quote(pizza=menu[pizza], size=size, quantity=quantity)
    defaults = {
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
        "delivery_address": "12 Analytical Street",
    }
    return Order.objects.create(
        pizza=menu[pizza], size=size, quantity=quantity, unit_price=unit_price, total_price=total,
        attempt_limit=attempt_limit, **{**defaults, **fields},
    )


ORDER_FORM = {
    "pizza": "margherita",
    "size": "large",
    "quantity": "2",
    "name": "Grace Hopper",
    "email": "grace@example.com",
    "address": "1 Compiler Way",
}

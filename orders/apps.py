from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """The domain: menu, orders and their states, the order form, status pages. Imports no other app (the
    process reaches it through orders.process and orders.signals; see docs/ARCHITECTURE.md)."""

    name = "orders"

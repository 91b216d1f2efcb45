from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """The customer's side: menu, orders and their states, the order form, status pages and emails."""

    name = "orders"

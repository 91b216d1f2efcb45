from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The order API for machine clients: JSON orders, idempotency keys, signed notifications when final."""

    name = "api"
    verbose_name = "Order API"

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The order API for machine clients: JSON orders, idempotency keys, signed notifications when final."""

    name = "api"
    verbose_name = "Order API"

    def ready(self):
        from orders.signals import order_finalised

        from .notifications import queue_notification

        order_finalised.connect(queue_notification, dispatch_uid="api.notifications.queue_notification")

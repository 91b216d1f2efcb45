from django.apps import AppConfig


class BatchesConfig(AppConfig):
    """Bulk orders: a batch staged at once (202), its rows placed in the background through place_order, a
    signed notification when every row is final. Depends on orders, workflow and api; none of them on it."""

    name = "batches"
    verbose_name = "Bulk orders"

    def ready(self):
        from api.views import api
        from orders.signals import order_finalised

        from .routes import router
        from .transform import note_final_order

        order_finalised.connect(note_final_order, dispatch_uid="batches.transform.note_final_order")
        # Mounted from here, so that the API (api/) never imports this app: the arrow runs batches -> api.
        api.add_router("/order-batches", router)

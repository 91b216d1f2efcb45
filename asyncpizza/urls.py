from django.contrib import admin
from django.urls import include, path

from asyncpizza.views import favicon
from workflow.cancel_views import cancel_order
from console.views import metrics
from trainer.views import order_diagram

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics, name="metrics"),  # Prometheus's default path
    path("favicon.ico", favicon),
    path("trainer/", include("trainer.urls")),
    path("api/", include("api.urls")),
    path("webhooks/", include("workflow.urls")),
    # The cancel step belongs to the process (workflow), under the order's own address.
    path("orders/<uuid:public_id>/cancel/", cancel_order, name="cancel-order"),
    # The customer's view of the process diagram lives with the diagram (trainer), which may read both the
    # orders and the workflow; the address stays with the order's.
    path("orders/<uuid:public_id>/diagram/", order_diagram, name="order-diagram"),
    path("", include("orders.urls")),
]

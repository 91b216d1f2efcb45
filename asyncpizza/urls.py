from django.contrib import admin
from django.urls import include, path

from workflow.cancel_views import cancel_order

urlpatterns = [
    path("admin/", admin.site.urls),
    path("trainer/", include("trainer.urls")),
    path("api/", include("api.urls")),
    path("webhooks/", include("workflow.urls")),
    # The cancel step belongs to the process (workflow), under the order's own address.
    path("orders/<uuid:public_id>/cancel/", cancel_order, name="cancel-order"),
    path("", include("orders.urls")),
]

from django.contrib import admin
from django.urls import include, path

from console.views import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics, name="metrics"),  # Prometheus's default path
    path("trainer/", include("trainer.urls")),
    path("api/", include("api.urls")),
    path("webhooks/", include("workflow.urls")),
    path("", include("storefront.urls")),  # the customer's pages
]

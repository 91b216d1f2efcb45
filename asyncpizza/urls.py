from django.contrib import admin
from django.urls import include, path

from asyncpizza.views import favicon
from console.views import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics, name="metrics"),  # Prometheus's default path
    path("favicon.ico", favicon),
    path("trainer/", include("trainer.urls")),
    path("api/", include("api.urls")),
    path("batches/", include("batches.urls")),  # staff: CSV upload and each batch's page
    path("webhooks/", include("workflow.urls")),
    path("", include("storefront.urls")),  # the customer's pages
]

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("trainer/", include("trainer.urls")),
    path("api/", include("api.urls")),
    path("webhooks/", include("workflow.urls")),
    path("", include("orders.urls")),
]

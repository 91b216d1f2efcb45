"""The admin, branded as the operations console: its index opens with the engine's health panel, and it
serves the needs-attention page (staff only, through admin_view)."""

from django.contrib import admin
from django.urls import path


class OperationsAdminSite(admin.AdminSite):
    site_header = "Async Pizza operations"
    site_title = "Async Pizza operations"
    index_title = "Operations"
    index_template = "console/index.html"

    def get_urls(self):
        from . import views  # the views use admin.site: import them once the site exists

        return [
            path("needs-attention/", self.admin_view(views.needs_attention), name="needs_attention"),
            path("needs-attention/confirm/", self.admin_view(views.confirm_bulk_action), name="needs_attention_confirm"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        from .attention import attention_summary
        from .health import engine_health

        context = {"health": engine_health(), "attention": attention_summary(), **(extra_context or {})}
        return super().index(request, context)

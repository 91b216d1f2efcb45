from django.contrib import admin

from .models import CallbackDelivery


class ReadOnlyAdmin(admin.ModelAdmin):
    """The API writes these rows; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["order", "subject", "status", "state", "tries", "max_tries", "last_http_status", "next_try_at", "delivered_at"]
    list_filter = ["state", "status"]
    list_select_related = ["order__pizza"]
    search_fields = ["=order__public_id", "subject", "url"]
    fields = [
        "order", "subject", "status", "url", "state", "tries", "max_tries", "next_try_at", "trying_since", "last_tried_at",
        "last_http_status", "last_error", "delivered_at", "created_at", "body",
    ]

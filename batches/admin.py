from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import BatchRow, OrderBatch


class ReadOnlyAdmin(admin.ModelAdmin):
    """The API and the transform write these rows; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InvalidRowInline(admin.TabularInline):
    """The rows that were refused, with their errors (every row: the link above the inline)."""

    model = BatchRow
    verbose_name, verbose_name_plural = "invalid row", "invalid rows"
    fields = readonly_fields = ["number", "errors", "data"]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status="invalid")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OrderBatch)
class OrderBatchAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "source", "format", "row_count", "status", "created_at", "finished_at"]
    list_filter = ["status", "format", "source"]
    search_fields = ["=public_id", "=idempotency_key"]
    fields = [
        "public_id", "status", "source", "format", "row_count", "all_rows", "page", "idempotency_key",
        "callback_url", "chunks_done", "created_at", "started_at", "transformed_at", "finished_at",
    ]
    readonly_fields = ["public_id", "all_rows", "page", "created_at"]
    inlines = [InvalidRowInline]

    @admin.display(description="rows")
    def all_rows(self, batch):
        url = reverse("admin:batches_batchrow_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">all {} rows, with their orders</a>', url, batch.row_count)

    @admin.display(description="page")
    def page(self, batch):
        return format_html('<a href="{}">the batch\'s page (progress, errors)</a>', batch.get_absolute_url())


@admin.register(BatchRow)
class BatchRowAdmin(ReadOnlyAdmin):
    list_display = ["number", "batch", "status", "order", "errors"]
    list_filter = ["status", "batch"]
    list_select_related = ["batch", "order"]
    search_fields = ["=batch__public_id", "=order__public_id"]
    fields = ["batch", "number", "status", "order", "errors", "data"]
    list_per_page = 200

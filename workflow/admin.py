from django.contrib import admin

from .models import ExecutionEvent, StoreAttempt, WorkflowSettings


class StoreAttemptInline(admin.TabularInline):
    """Every attempt of an order, as recorded: the admin reads the history, it never edits it."""

    model = StoreAttempt
    extra = 0
    can_delete = False
    fields = ["number", "due_at", "started_at", "queue_delay", "duration_ms", "outcome", "http_status", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="waited (ms)")
    def queue_delay(self, attempt):
        return attempt.queue_delay_ms


class ExecutionEventInline(admin.TabularInline):
    """The execution table: each transaction of the order, from the customer's, engine's and database's side."""

    model = ExecutionEvent
    extra = 0
    can_delete = False
    fields = ["at", "duration_ms", "kind", "customer_saw", "engine_did", "database_holds"]
    readonly_fields = fields
    verbose_name = "transaction"
    verbose_name_plural = "How this worked (execution table)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkflowSettings)
class WorkflowSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "changed_at"]

    def has_add_permission(self, request):
        return not WorkflowSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StoreAttempt)
class StoreAttemptAdmin(admin.ModelAdmin):
    list_display = ["order", "number", "outcome", "http_status", "duration_ms", "started_at"]
    list_filter = ["outcome", "started_at"]
    search_fields = ["order__public_id", "order__customer_email", "error"]
    list_select_related = ["order__pizza"]
    readonly_fields = ["order", "number", "due_at", "started_at", "finished_at", "duration_ms", "outcome", "http_status", "error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

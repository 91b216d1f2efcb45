from urllib.parse import urlencode

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.queue import task_group
from orders.admin import OrderAdmin
from orders.models import ConcurrentTransition, IllegalTransition, Order

from .cancellation import NotCancellable, request_cancellation
from .models import ExecutionEvent, IdempotencyRecord, StoreAttempt, WorkflowSettings
from .start import retry_failed_order


class StoreAttemptInline(admin.TabularInline):
    """Every attempt of an order, as recorded: the admin reads the history, it never edits it."""

    model = StoreAttempt
    extra = 0
    can_delete = False
    fields = [
        "number", "due_at", "started_at", "queue_delay", "duration_ms", "outcome", "http_status", "error_type", "error",
        "answer_start", "details",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="waited (ms)")
    def queue_delay(self, attempt):
        return attempt.queue_delay_ms

    @admin.display(description="shop's answer (start)")
    def answer_start(self, attempt):
        body = attempt.response_body
        return body[:120] + ("…" if len(body) > 120 else "") if body else "–"

    @admin.display(description="details")
    def details(self, attempt):
        url = reverse("admin:workflow_storeattempt_change", args=[attempt.pk])
        return format_html('<a href="{}">Attempt {}: traceback and answer</a>', url, attempt.number)


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
    list_display = ["order", "number", "outcome", "http_status", "error_type", "duration_ms", "started_at"]
    list_filter = ["outcome", "started_at"]
    search_fields = ["order__public_id", "order__customer_email", "error", "error_type"]
    list_select_related = ["order__pizza"]
    fields = [
        "order", "number", "due_at", "started_at", "finished_at", "duration_ms", "outcome", "http_status",
        "error_type", "error", "traceback_text", "answer_text",
    ]
    readonly_fields = fields

    @admin.display(description="traceback")
    def traceback_text(self, attempt):
        return format_html('<pre class="console-long-text">{}</pre>', attempt.traceback) if attempt.traceback else "–"

    @admin.display(description="start of the shop's answer")
    def answer_text(self, attempt):
        return format_html('<pre class="console-long-text">{}</pre>', attempt.response_body) if attempt.response_body else "–"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what happened stays

@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Clients' keys as place_order recorded them: read-only (a key's record is the promise made to the client)."""

    list_display = ["key", "source", "order", "created_at"]
    list_filter = ["source"]
    list_select_related = ["order__pizza"]
    search_fields = ["=key", "=order__public_id"]
    fields = ["source", "key", "request_hash", "order", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The order admin with the process's part: what the workflow did (attempts, execution table, django-q2
# tasks) and the one thing an admin may do to the process, retry a failed order. orders.admin registered
# the domain's OrderAdmin (imported above, so it is registered first); this one takes its place.
admin.site.unregister(Order)


@admin.register(Order)
class OrderProcessAdmin(OrderAdmin):
    inlines = [StoreAttemptInline, ExecutionEventInline]
    actions = ["retry_failed", "cancel_orders"]
    fieldsets = [
        *OrderAdmin.fieldsets[:2],
        (OrderAdmin.fieldsets[2][0], {"fields": [*OrderAdmin.fieldsets[2][1]["fields"], "tasks"]}),
        *OrderAdmin.fieldsets[3:],
    ]
    readonly_fields = [*OrderAdmin.readonly_fields, "tasks"]

    @admin.display(description="django-q2 tasks")
    def tasks(self, order):
        group = task_group(order)
        links = [
            ("Successful", reverse("admin:django_q_success_changelist"), {"group": group}),
            ("Failed", reverse("admin:django_q_failure_changelist"), {"group": group}),
            ("Scheduled retries", reverse("admin:django_q_schedule_changelist"), {"q": str(order.public_id)}),
        ]
        return format_html_join(" · ", '<a href="{}?{}">{}</a>', ((url, urlencode(query), label) for label, url, query in links))

    @admin.action(description="Retry selected failed orders (fresh budget of attempts)", permissions=["change"])
    def retry_failed(self, request, queryset):
        selected = list(queryset)
        retried = 0
        for order in selected:
            try:
                retry_failed_order(order)
                retried += 1
            except (IllegalTransition, ConcurrentTransition):
                pass  # not failed, or a worker moved it first: the state machine says no
        skipped = len(selected) - retried
        if retried:
            self.message_user(request, f"Retrying {retried} order(s).", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"Skipped {skipped} order(s) that were not failed.", messages.WARNING)

    @admin.action(description="Cancel selected orders (at the shop too, if it may hold them)")
    def cancel_orders(self, request, queryset):
        outcomes = {"cancelled": 0, "cancelling": 0}
        refused = []
        for order in queryset:
            try:
                order = request_cancellation(order.pk, by="admin")
            except NotCancellable as refusal:
                refused.append(f"{order.short_id}: {refusal}")
                continue
            outcomes[order.status] = outcomes.get(order.status, 0) + 1
        if outcomes["cancelled"] or outcomes["cancelling"]:
            self.message_user(
                request,
                f"Cancelled {outcomes['cancelled']} order(s) at once; asking the shop to cancel {outcomes['cancelling']}.",
                messages.SUCCESS,
            )
        if refused:
            self.message_user(request, "Not cancelled: " + "; ".join(refused), messages.WARNING)

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from workflow.admin import ExecutionEventInline, StoreAttemptInline
from workflow.jobs import task_group
from workflow.cancellation import NotCancellable, request_cancellation
from workflow.store import retry_failed_order

from .models import ConcurrentTransition, IllegalTransition, Order, Pizza


@admin.register(Pizza)
class PizzaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "price_small", "price_medium", "price_large", "is_available", "position"]
    list_editable = ["is_available", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["short_id", "customer_name", "customer_email", "line", "total_price", "status", "mode", "attempts", "created_at"]
    list_filter = ["status", "mail_status", "mode", "created_at", "pizza"]
    date_hierarchy = "created_at"
    search_fields = ["customer_email", "customer_name", "=public_id", "=shop_order_id"]
    list_select_related = ["pizza"]
    inlines = [StoreAttemptInline, ExecutionEventInline]
    actions = ["retry_failed", "cancel_orders"]
    fieldsets = [
        ("Order", {"fields": ["public_id", "status_page", "mode", "pizza", "size", "quantity", "unit_price", "total_price"]}),
        ("Customer", {"fields": ["customer_name", "customer_email", "delivery_address"]}),
        (
            "Store-order step",
            {
                "fields": [
                    "status", "attempts_made", "attempt_limit", "next_attempt_at", "shop_order_id",
                    "failure_reason", "idempotency_key", "tasks",
                ]
            },
        ),
        (
            "Cancellation and mail",
            {
                "fields": [
                    "may_be_at_shop", "cancel_requested_at", "cancel_requested_by", "cancel_tries", "cancelled_at",
                    "cancel_refused_reason", "mail_status", "mail_kind", "mail_tries", "mail_error", "mail_next_try_at",
                ]
            },
        ),
        (
            "Timeline",
            {
                "fields": [
                    "created_at", "first_sent_at", "confirmed_at", "failed_at",
                    "confirmation_email_sent_at", "failure_email_sent_at", "updated_at",
                ]
            },
        ),
    ]
    # The workflow owns every field that changes after the order is placed: the admin reads, and acts
    # only through the retry action, which goes through the same state machine as the workers.
    readonly_fields = [
        "public_id", "status_page", "mode", "pizza", "size", "quantity", "unit_price", "total_price",
        "customer_name", "customer_email", "delivery_address",
        "status", "attempts_made", "attempt_limit", "next_attempt_at", "shop_order_id", "failure_reason",
        "idempotency_key", "tasks", "created_at", "first_sent_at", "confirmed_at", "failed_at",
        "confirmation_email_sent_at", "failure_email_sent_at", "updated_at",
        "may_be_at_shop", "cancel_requested_at", "cancel_requested_by", "cancel_tries", "cancelled_at",
        "cancel_refused_reason", "mail_status", "mail_kind", "mail_tries", "mail_error", "mail_next_try_at",
    ]

    def has_add_permission(self, request):
        return False  # orders come from customers, through the form

    @admin.display(description="Order")
    def line(self, order):
        return f"{order.quantity} × {order.pizza.name} ({order.size})"

    @admin.display(description="Attempts")
    def attempts(self, order):
        return f"{order.attempts_made}/{order.attempt_limit}"

    @admin.display(description="Status page")
    def status_page(self, order):
        return format_html('<a href="{0}">{0}</a>', order.get_absolute_url())

    @admin.display(description="django-q2 tasks")
    def tasks(self, order):
        group = task_group(order)
        links = [
            ("Successful", reverse("admin:django_q_success_changelist"), {"group": group}),
            ("Failed", reverse("admin:django_q_failure_changelist"), {"group": group}),
            ("Scheduled retries", reverse("admin:django_q_schedule_changelist"), {"q": str(order.public_id)}),
        ]
        return format_html_join(" · ", '<a href="{}?{}">{}</a>', ((url, urlencode(query), label) for label, url, query in links))

    @admin.action(description="Retry selected failed orders (fresh budget of attempts)")
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

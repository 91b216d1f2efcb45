"""The admin of the domain: the menu, and orders as the customer gave them. The process's part of the order
admin (attempts, execution table, django-q2 tasks, the retry action) is added by workflow.admin, which
registers `workflow.admin.OrderProcessAdmin` in place of this one."""

from django.contrib import admin
from django.utils.html import format_html

from .models import Order, Pizza


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
    fieldsets = [
        ("Order", {"fields": ["public_id", "status_page", "mode", "pizza", "size", "quantity", "unit_price", "total_price"]}),
        ("Customer", {"fields": ["customer_name", "customer_email", "delivery_address"]}),
        (
            "Store-order step",
            {
                "fields": [
                    "status", "attempts_made", "attempt_limit", "next_attempt_at", "shop_order_id",
                    "failure_reason", "idempotency_key",
                ]
            },
        ),
        (
            "Cancellation and mail",
            {
                "fields": [
                    "may_be_at_shop", "cancel_requested_at", "cancel_requested_by", "cancel_tries", "cancelled_at",
                    "cancel_reason", "cancel_refused_reason", "mail_status", "mail_kind", "mail_tries", "mail_error", "mail_next_try_at",
                ]
            },
        ),
        (
            "Timeline",
            {
                "fields": [
                    "created_at", "first_sent_at", "confirmed_at", "failed_at",
                    "confirmation_email_sent_at", "failure_email_sent_at", "cancellation_email_sent_at",
                    "shop_cancelled_email_sent_at", "too_late_email_sent_at", "updated_at",
                ]
            },
        ),
    ]
    # The workflow owns every field that changes after the order is placed: the admin reads, and acts
    # only through the workflow's retry action, which goes through the same state machine as the workers.
    readonly_fields = [
        "public_id", "status_page", "mode", "pizza", "size", "quantity", "unit_price", "total_price",
        "customer_name", "customer_email", "delivery_address",
        "status", "attempts_made", "attempt_limit", "next_attempt_at", "shop_order_id", "failure_reason",
        "idempotency_key", "created_at", "first_sent_at", "confirmed_at", "failed_at",
        "confirmation_email_sent_at", "failure_email_sent_at", "cancellation_email_sent_at", "shop_cancelled_email_sent_at",
        "too_late_email_sent_at", "updated_at", "may_be_at_shop", "cancel_requested_at", "cancel_requested_by", "cancel_tries",
        "cancelled_at", "cancel_reason", "cancel_refused_reason", "mail_status", "mail_kind", "mail_tries", "mail_error", "mail_next_try_at",
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

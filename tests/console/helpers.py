"""Orders in the states the console reports on, made through the workflow's own transitions."""

from datetime import timedelta

from django.utils import timezone

from orders.models import Order

from ..factories import make_order


def failed_order(menu, *, email="failed@example.com", ago=timedelta(0)) -> Order:
    order = make_order(menu, attempt_limit=1, customer_email=email)
    now = timezone.now() - ago
    order.begin_attempt(now=now)
    order.attempts.create(number=1, due_at=now, started_at=now, finished_at=now, outcome="transient_error",
                          http_status=503, error="the shop answered 503")
    order.fail(reason="the shop could not be reached after 1 attempts", now=now)
    Order.objects.filter(pk=order.pk).update(failed_at=now, created_at=now)
    order.refresh_from_db()
    return order


def aged(order: Order, **fields) -> Order:
    """Move an order's timestamps into the past (fields: name=timedelta ago)."""
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(**{name: now - ago for name, ago in fields.items()})
    order.refresh_from_db()
    return order

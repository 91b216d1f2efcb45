"""Recording the execution table: call inside the transaction the event describes."""

from django.utils import timezone

from orders.models import Order

from .models import ExecutionEvent


def record_event(
    order: Order, kind: str, *, customer: str, engine: str, database: str, at=None, duration_ms: int | None = None
) -> ExecutionEvent:
    return ExecutionEvent.objects.create(
        order=order,
        kind=kind,
        at=at or timezone.now(),
        duration_ms=duration_ms,
        customer_saw=customer[:300],
        engine_did=engine[:300],
        database_holds=database[:300],
    )


def elapsed_ms(since, now=None) -> int:
    return max(0, round(((now or timezone.now()) - since).total_seconds() * 1000))

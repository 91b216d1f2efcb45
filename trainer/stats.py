"""What the trainer's dashboard shows, read from the app's database and the shop's own stats."""

from dataclasses import dataclass

from orders.models import Order, OrderStatus, StoreMode
from workflow.models import CustomerWait, WaitOutcome
from workflow.models import AttemptOutcome, StoreAttempt
from workflow.snapshot import status_counts

from .figures import percentile
from .shop_control import ShopControl, ShopControlError

# Percentiles over the most recent waits only: enough for a room, bounded work per refresh.
RECENT = 2000


@dataclass(frozen=True)
class ModeFigures:
    mode: str
    label: str
    counts: dict  # status -> orders
    retries: int
    waits_ms: list
    errors_shown: int
    wait_p50_ms: float | None
    wait_p95_ms: float | None
    confirmation_p50_s: float | None
    confirmation_p95_s: float | None

    @property
    def orders(self) -> int:
        return sum(self.counts.values())


def mode_figures(mode: str) -> ModeFigures:
    counts = status_counts(mode)  # the same counts the process diagram adds up by step
    waits = list(CustomerWait.objects.filter(mode=mode).values_list("duration_ms", "outcome")[:RECENT])
    waits_ms = [duration for duration, _ in waits]
    confirmations = [
        (confirmed - created).total_seconds()
        for created, confirmed in Order.objects.filter(mode=mode, status=OrderStatus.CONFIRMED)
        .order_by("-created_at")
        .values_list("created_at", "confirmed_at")[:RECENT]
    ]
    return ModeFigures(
        mode=mode,
        label=StoreMode(mode).label,
        counts=counts,
        retries=StoreAttempt.objects.filter(order__mode=mode, outcome=AttemptOutcome.TRANSIENT_ERROR).count(),
        waits_ms=waits_ms,
        errors_shown=sum(outcome == WaitOutcome.ERROR for _, outcome in waits),
        wait_p50_ms=percentile(waits_ms, 0.5),
        wait_p95_ms=percentile(waits_ms, 0.95),
        confirmation_p50_s=percentile(confirmations, 0.5),
        confirmation_p95_s=percentile(confirmations, 0.95),
    )


def dashboard(control: ShopControl | None = None) -> dict:
    figures = [mode_figures(mode) for mode in StoreMode.values]
    try:
        shop = (control or ShopControl(timeout_s=1)).stats()
        shop_error = ""
    except ShopControlError as error:
        shop, shop_error = None, str(error)
    return {"modes": figures, "shop": shop, "shop_error": shop_error, "statuses": OrderStatus.choices}

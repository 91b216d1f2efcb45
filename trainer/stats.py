"""What the trainer's dashboard shows, read from the app's database and the shop's own stats."""

from dataclasses import dataclass
from datetime import datetime

from orders.models import Order, OrderStatus, StoreMode
from workflow.models import CustomerWait, WaitOutcome
from workflow.models import AttemptOutcome, StoreAttempt
from workflow.snapshot import status_counts

from .figures import percentile
from .models import TrainingSession
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


def mode_figures(mode: str, *, since: datetime | None = None) -> ModeFigures:
    """One mode's figures; `since`: the trainer's session start (TrainingSession), else all time."""
    counts = status_counts(mode, since=since)  # the same counts the process diagram adds up by step
    recent = {} if since is None else {"started_at__gte": since}
    waits = list(CustomerWait.objects.filter(mode=mode, **recent).values_list("duration_ms", "outcome")[:RECENT])
    waits_ms = [duration for duration, _ in waits]
    placed = {} if since is None else {"created_at__gte": since}
    confirmations = [
        (confirmed - created).total_seconds()
        for created, confirmed in Order.objects.filter(mode=mode, status=OrderStatus.CONFIRMED, **placed)
        .order_by("-created_at")
        .values_list("created_at", "confirmed_at")[:RECENT]
    ]
    return ModeFigures(
        mode=mode,
        label=StoreMode(mode).label,
        counts=counts,
        retries=StoreAttempt.objects.filter(order__mode=mode, outcome=AttemptOutcome.TRANSIENT_ERROR, **recent).count(),
        waits_ms=waits_ms,
        errors_shown=sum(outcome == WaitOutcome.ERROR for _, outcome in waits),
        wait_p50_ms=percentile(waits_ms, 0.5),
        wait_p95_ms=percentile(waits_ms, 0.95),
        confirmation_p50_s=percentile(confirmations, 0.5),
        confirmation_p95_s=percentile(confirmations, 0.95),
    )


def dashboard(control: ShopControl | None = None) -> dict:
    session = TrainingSession.load()
    figures = [mode_figures(mode, since=session.started_at) for mode in StoreMode.values]
    try:
        shop = session.shop_since_start((control or ShopControl(timeout_s=1)).stats())
        shop_error = ""
    except ShopControlError as error:
        shop, shop_error = None, str(error)
    return {"modes": figures, "shop": shop, "shop_error": shop_error, "statuses": OrderStatus.choices,
            "session_started_at": session.started_at}


def start_new_session(control: ShopControl | None = None) -> TrainingSession:
    """Counters to zero for the next demonstration: the figures and the diagram count from now on (orders
    still on their way stay counted); no order is deleted, the shop's ledger is kept."""
    try:
        shop = (control or ShopControl(timeout_s=1)).stats()
    except ShopControlError:
        shop = None  # the shop's figures then count from its own start
    session = TrainingSession.load()
    session.restart(shop)
    return session

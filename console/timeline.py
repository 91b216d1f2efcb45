"""An order's life as a timeline: received, each attempt with the wait before it and its duration, the wait
for the shop's callback, the final status and the mail. Geometry only; console/timeline.html draws it as an
SVG (no script), with the same items as a list for people who do not see it."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from core.durations import human_duration

from orders.models import Order
from workflow.mail import STATUS_EMAILS
from workflow.models import AttemptOutcome, EventKind

WIDTH = 760
LABEL_WIDTH = 250
CHART_LEFT = LABEL_WIDTH + 10
CHART_WIDTH = WIDTH - CHART_LEFT - 20
ROW_HEIGHT = 26
TOP = 10

KIND_COLOURS = {  # fill, and a text colour with enough contrast on white
    "wait": "#bdbdbd",
    "callback": "#90caf9",
    AttemptOutcome.ACCEPTED: "#2e7d32",
    AttemptOutcome.ACKNOWLEDGED: "#1565c0",
    AttemptOutcome.TRANSIENT_ERROR: "#e65100",
    AttemptOutcome.REJECTED: "#b71c1c",
    AttemptOutcome.INTERRUPTED: "#616161",
    AttemptOutcome.IN_PROGRESS: "#6a1b9a",
    "mark": "#212121",
}


@dataclass(frozen=True)
class Item:
    label: str
    start: datetime
    end: datetime | None  # None: a moment (a marker), not a span
    kind: str
    text: str  # the whole sentence, for the list and the bar's tooltip

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds() if self.end else 0.0


@dataclass(frozen=True)
class Bar:
    item: Item
    y: int
    x: float
    width: float
    colour: str

    @property
    def label_y(self) -> int:
        return self.y + ROW_HEIGHT // 2 + 4


def timeline_items(order: Order, now=None) -> list[Item]:
    now = now or timezone.now()
    items = [Item("Received", order.created_at, None, "mark", f"Received at {order.created_at:%H:%M:%S}.")]
    previous_end = order.created_at
    for attempt in order.attempts.all():
        if attempt.started_at > previous_end:
            backoff = max(0.0, (attempt.due_at - previous_end).total_seconds())
            queue = attempt.queue_delay_ms / 1000
            waited = (attempt.started_at - previous_end).total_seconds()
            items.append(Item(f"Wait before attempt {attempt.number}", previous_end, attempt.started_at, "wait",
                              f"Waited {human_duration(waited)} before attempt {attempt.number}: {human_duration(backoff)} until it was due, "
                              f"{human_duration(queue)} for the scheduler and a free worker."))
        end = attempt.finished_at or now
        outcome = attempt.get_outcome_display()
        http = f", HTTP {attempt.http_status}" if attempt.http_status else ""
        items.append(Item(f"Attempt {attempt.number}: {outcome}", attempt.started_at, end, attempt.outcome,
                          f"Attempt {attempt.number} took {human_duration((end - attempt.started_at).total_seconds())}: {outcome}{http}."
                          + (f" {attempt.error}" if attempt.error else "")))
        previous_end = end
        if attempt.outcome == AttemptOutcome.ACKNOWLEDGED:
            answered = _callback_end(order, after=end) or now
            items.append(Item("Waiting for the shop's callback", end, answered, "callback",
                              f"Waited {human_duration((answered - end).total_seconds())} for the shop's callback"
                              + (" (still waiting)." if answered == now else ".")))
            previous_end = answered
    for event in order.events.filter(kind=EventKind.RETRIED_BY_ADMIN):
        items.append(Item("Retried by an admin", event.at, None, "mark", f"An admin retried it at {event.at:%H:%M:%S}."))
    final_at = order.final_at
    if final_at:
        items.append(Item(order.get_status_display(), final_at, None, "mark",
                          f"{order.get_status_display()} at {final_at:%H:%M:%S}, "
                          f"{human_duration((final_at - order.created_at).total_seconds())} after it was received."))
    sent = order.sent_mails
    for kind, mailed_at in sent:
        label = "Mail sent" if len(sent) == 1 else f"{STATUS_EMAILS[kind].what.capitalize()} mail sent"
        items.append(Item(label, mailed_at, None, "mark",
                          f"The customer's {STATUS_EMAILS[kind].what} mail went at {mailed_at:%H:%M:%S}."))
    if order.is_mail_pending:
        items.append(Item("Mail not sent yet", now, None, "mark", "The customer's mail has not gone yet."))
    elif order.is_mail_given_up:
        items.append(Item("Mail undeliverable", now, None, "mark", f"The customer's mail is undeliverable: {order.mail_error}"))
    return sorted(items, key=lambda item: item.start)


def _callback_end(order: Order, *, after) -> datetime | None:
    """When the wait for the callback ended: the callback, the deadline's check, or a final status."""
    ends = order.events.filter(
        at__gte=after, kind__in=[EventKind.CALLBACK_RECEIVED, EventKind.CALLBACK_LATE, EventKind.CONFIRMED, EventKind.FAILED]
    ).order_by("at")
    first = ends.first()
    return first.at if first else None


def layout(items: list[Item]) -> dict:
    """The SVG's geometry: one row per item, x scaled from the first moment to the last."""
    start = items[0].start
    end = max(item.end or item.start for item in items)
    span = max((end - start).total_seconds(), 0.001)

    def x(moment) -> float:
        return CHART_LEFT + (moment - start).total_seconds() / span * CHART_WIDTH

    bars = []
    for row, item in enumerate(items):
        left = x(item.start)
        width = max(x(item.end) - left, 2.0) if item.end else 0.0
        bars.append(Bar(item, TOP + row * ROW_HEIGHT, round(left, 1), round(width, 1), KIND_COLOURS.get(item.kind, "#424242")))
    height = TOP + len(items) * ROW_HEIGHT + 30
    return {
        "bars": bars, "width": WIDTH, "height": height, "axis_y": height - 24, "chart_left": CHART_LEFT,
        "chart_right": CHART_LEFT + CHART_WIDTH, "label_x": LABEL_WIDTH, "span": human_duration(span),
    }

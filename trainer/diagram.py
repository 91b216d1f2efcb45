"""The live process diagram: the process drawn as the seed draws it (order form, the transaction boundary
where the wait state is, store order with its retry loop and callback wait, confirmation mail, done), with
the orders at each step, the queue and the workers, all from workflow.snapshot. Drawn on the server as SVG;
htmx redraws it every two seconds. Layout only here: what is drawn comes from the snapshot."""

from dataclasses import dataclass

from django.conf import settings

from orders.models import Order, OrderStatus, StoreMode
from workflow.engine_policy import current_policy
from workflow.snapshot import STEP_BY_NAME, Snapshot, step_of

WIDTH = 900
LANE_TOP = 350
LANE_HEIGHT = 30
MAX_SQUARES = 40  # queued jobs drawn one square each; beyond this, only the number
# A busy lane's bar grows with the attempt's time (8 px a second) from a length that holds its longest label
# ("order 1a2b3c4d (synchronous), 59.9 s": 38 characters of about 7 px, and the padding), up to the edge.
BAR_MIN = 280
BAR_MAX = WIDTH - 110 - 20


@dataclass(frozen=True)
class Box:
    name: str
    title: str
    x: int
    y: int
    w: int
    h: int
    count: int
    lit: bool = False
    dashed: bool = False
    muted: bool = False

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def lines(self) -> list[str]:
        """The title in lines short enough for the box (about 7 px a character)."""
        return wrap(self.title, max(8, (self.w - 10) // 7))


def wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


# name -> (x, y, w, h); the row of the process, the retry loop above store, the callback wait below it.
GEOMETRY = {
    "form": (20, 90, 120, 70),
    "wait": (190, 90, 130, 70),
    "store": (370, 90, 150, 70),
    "retry": (370, 10, 150, 44),
    "callback": (370, 200, 150, 50),
    "mail": (570, 90, 140, 70),
    "done": (760, 90, 120, 70),
}


def _boxes(snapshot: Snapshot, *, customer: bool, lit: str | None) -> list[Box]:
    sync = snapshot.mode == StoreMode.SYNC
    boxes = []
    for name, (x, y, w, h) in GEOMETRY.items():
        step = STEP_BY_NAME[name]
        boxes.append(Box(
            name=name, title=step.customer_title if customer else step.title, x=x, y=y, w=w, h=h,
            count=snapshot.steps[name], lit=name == lit, dashed=name == "wait", muted=sync and name == "wait",
        ))
    return boxes


@dataclass(frozen=True)
class Square:
    x: int
    y: int
    yours: bool


def _queue_squares(snapshot: Snapshot, your_place: int | None) -> list[Square]:
    shown = min(snapshot.waiting_count, MAX_SQUARES)
    return [Square(x=130 + i * 18, y=292, yours=your_place == i) for i in range(shown)]


def queue_place(order: Order) -> int | None:
    """How many orders wait for a worker ahead of this one (None if it is not waiting for one)."""
    if order.status != OrderStatus.RECEIVED:
        return None
    return Order.objects.filter(status=OrderStatus.RECEIVED, updated_at__lt=order.updated_at).count()


def _lane_row(lane, row: int, order: Order | None) -> dict:
    """One lane's place in the drawing: its row, its bar's length (growing with the attempt's time), and
    whether the attempt is the customer's own."""
    return {"lane": lane, "y": LANE_TOP + row * LANE_HEIGHT, "bar": min(BAR_MAX, BAR_MIN + int(lane.running_s * 8)),
            "yours": order is not None and lane.public_id == str(order.public_id)}


def diagram_context(snapshot: Snapshot, *, order: Order | None = None) -> dict:
    """What the diagram template draws: for staff (order None) or for one customer's order (lit)."""
    customer = order is not None
    lit = step_of(order) if order is not None else None
    place = queue_place(order) if order is not None else None
    rows = [_lane_row(lane, row, order) for row, lane in enumerate([*snapshot.lanes, *snapshot.in_requests])]
    lanes, requests = rows[: len(snapshot.lanes)], rows[len(snapshot.lanes):]
    policy = current_policy()
    return {
        "snapshot": snapshot,
        "customer": customer,
        "order": order,
        "lit": lit,
        "lit_step": STEP_BY_NAME[lit] if lit else None,
        "queue_place": place,
        "boxes": _boxes(snapshot, customer=customer, lit=lit),
        "squares": _queue_squares(snapshot, place),
        "more_waiting": max(0, snapshot.waiting_count - MAX_SQUARES),
        "lanes": lanes,
        "requests": requests,
        "height": LANE_TOP + (len(lanes) + len(requests)) * LANE_HEIGHT + 10,
        "width": WIDTH,
        "sync": snapshot.mode == StoreMode.SYNC,
        "policy": policy,
        "configured_workers": settings.Q_CLUSTER["workers"],
    }

"""The needs-attention page as a list of sections, each made by one small query function.

A section says what is wrong, lists the rows, and names the bulk actions (console/actions.py) that fit
them. To add one, write a function that returns a Section and append it to SECTIONS.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_q.models import Failure

from core.cluster_status import clusters
from core.durations import human_duration

from api.models import CallbackDelivery, DeliveryState
from orders.models import BY_SHOP, MailStatus, Order, OrderStatus
from workflow.engine_policy import current_retry_policy
from core.queue import task_group, task_path
from workflow.mail import STATUS_EMAILS
from workflow.models import EventKind, ExecutionEvent
from workflow.queue_probe import QueueState, queue_verdict
from workflow.recovery import GRACE, unmailed_final_orders
from workflow.mail import send_status_email_task

from .stuck import stuck_orders

ROW_LIMIT = 200


@dataclass(frozen=True)
class Row:
    id: str  # what a bulk action receives (an order's pk); empty when the row cannot be selected
    link: str
    label: str
    cells: list[str]


@dataclass
class Section:
    key: str
    title: str
    why: str  # what the rows have in common, and what to do about them
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    total: int = 0
    actions: list[str] = field(default_factory=list)  # keys of console.actions.ACTIONS

    @property
    def count(self) -> int:
        return max(self.total, len(self.rows))


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s") if moment else "–"


def _order_link(order: Order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def queue_not_moving() -> Section:
    """The queue itself: stuck (workers report alive, nothing comes back through it) or stopped."""
    now = timezone.now()
    found = clusters(now)
    verdict = queue_verdict(now, found=found)
    not_moved = "never moved yet" if verdict.not_moved_s is None else f"{verdict.not_moved_s:.0f} s"
    health = reverse("admin:index") + "#health-panel"
    rows = []
    if verdict.state == QueueState.STUCK:
        rows = [Row("", health, f"cluster {c.name}", [f"{c.host}, PID {c.pid}", "stuck", not_moved,
                                                       f"{c.workers} worker(s) report alive: restart this cluster"])
                for c in found if c.alive]
    elif verdict.state == QueueState.STOPPED:
        rows = [Row("", health, "no cluster", ["–", "stopped", not_moved, "start one: python manage.py qcluster"])]
    return Section(
        key="queue",
        title="Queue not moving",
        why="No task has come back through django-q2's queue (the probe task it sends every few seconds, or "
        "any other) for longer than a healthy queue takes, so no order goes on: restart the worker cluster. "
        "Orders are kept meanwhile and go on by themselves once it moves.",
        columns=["Host, process", "State", "Not moved for", "What to do"],
        rows=rows,
    )


def failed_orders() -> Section:
    failed = Order.objects.filter(status=OrderStatus.FAILED).select_related("pizza").order_by("-failed_at")
    return Section(
        key="failed",
        title="Failed orders",
        why="Given up: the shop refused them, or could not be reached within the attempts allowed. Once the "
        "shop is well again, retry them with a fresh budget of attempts.",
        columns=["Customer", "Failed at", "Attempts", "Why"],
        rows=[
            Row(str(o.pk), _order_link(o), o.short_id,
                [o.customer_email, _when(o.failed_at), f"{o.attempts_made}/{o.attempt_limit}", o.failure_reason])
            for o in failed[:ROW_LIMIT]
        ],
        total=failed.count(),
        actions=["retry", "resend_mail"],
    )


def stuck() -> Section:
    found = stuck_orders(limit=ROW_LIMIT)
    return Section(
        key="stuck",
        title="Stuck orders",
        why="Open longer than the engine's policy allows: the recovery sweep should have moved them. Check the "
        "health panel (are workers alive?), then queue their store-order job again.",
        columns=["Status", "Open for", "Why it counts as stuck"],
        rows=[
            Row(str(s.order.pk), _order_link(s.order), s.order.short_id,
                [s.order.get_status_display(), human_duration(s.age), "; ".join(s.reasons)])
            for s in found
        ],
        actions=["requeue", "cancel"],
    )


def mails_not_sent() -> Section:
    unmailed = unmailed_final_orders(timezone.now()).select_related("pizza").order_by("-updated_at")
    rows = []
    for order in unmailed[:ROW_LIMIT]:
        failure = last_failure(order, task_path(send_status_email_task))
        rows.append(Row(str(order.pk), _order_link(order), order.short_id,
                        [order.customer_email, order.get_status_display(), failure]))
    return Section(
        key="mails",
        title="Mails not sent",
        why="Final orders whose customer has not been mailed yet, a minute after: the mail server refused "
        "and django-q2 gave up, or the job was lost. Send them again once the mail server is back.",
        columns=["Customer", "Status", "Last error"],
        rows=rows,
        total=unmailed.count(),
        actions=["resend_mail"],
    )


def compensations_pending() -> Section:
    now, policy = timezone.now(), current_retry_policy()
    # A healthy compensating call settles within seconds; one still cancelling after the sweep's grace is
    # retrying, or out of tries (then the reconciliation sweep asks the shop again every minute).
    pending = Order.objects.filter(status=OrderStatus.CANCELLING, cancel_requested_at__lt=now - GRACE).order_by("cancel_requested_at")
    rows = []
    for order in pending[:ROW_LIMIT]:
        if order.cancel_tries >= policy.max_attempts:
            why = (f"out of tries ({order.cancel_tries} of {policy.max_attempts}): the shop could not be reached; "
                   "the reconciliation sweep asks again every minute")
        else:
            why = (f"still cancelling after {human_duration(GRACE)}: try {order.cancel_tries} of {policy.max_attempts} "
                   "failed, the next one is scheduled" if order.cancel_tries else
                   f"no compensating call has answered after {human_duration(GRACE)} (are workers alive?)")
        rows.append(Row(str(order.pk), _order_link(order), order.short_id,
                        [order.customer_email, human_duration(now - order.cancel_requested_at), last_compensation_try(order), why]))
    return Section(
        key="compensations",
        title="Compensations pending",
        why="Cancelling: the shop may hold these orders, and the compensating call asking it to cancel has not "
        "settled yet (cancelled, or too late). Check the shop and the workers; the calls go on by themselves.",
        columns=["Customer", "Cancelling for", "Last compensating call", "Why it counts"],
        rows=rows,
        total=pending.count(),
    )


SHOP_CANCELLED_FOR = timedelta(days=1)


def cancelled_by_shop() -> Section:
    """Orders the shop cancelled after accepting them, for a day: the customer was told by mail, but someone
    may want to call them, or ask the shop what went wrong."""
    recent = Order.objects.filter(
        status=OrderStatus.CANCELLED, cancel_requested_by=BY_SHOP, cancelled_at__gte=timezone.now() - SHOP_CANCELLED_FOR
    ).order_by("-cancelled_at")
    return Section(
        key="shop_cancelled",
        title="Cancelled by the shop",
        why="The shop accepted these, then cancelled them (it changed its mind); each customer got one mail saying "
        "so. Listed for a day: call the customer if it matters, and ask the shop why if it keeps happening.",
        columns=["Customer", "Cancelled at", "Shop's reference", "Reason", "Mail"],
        rows=[
            Row("", _order_link(o), o.short_id,
                [o.customer_email, _when(o.cancelled_at), o.shop_order_id or "–", o.cancel_reason,
                 "sent" if o.shop_cancelled_email_sent_at else (o.get_mail_status_display() if o.mail_status else "not yet")])
            for o in recent[:ROW_LIMIT]
        ],
        total=recent.count(),
    )


def mails_undeliverable() -> Section:
    given_up = Order.objects.filter(mail_status=MailStatus.UNDELIVERABLE).order_by("-updated_at")
    rows = []
    for order in given_up[:ROW_LIMIT]:
        mail = STATUS_EMAILS.get(order.mail_kind)
        rows.append(Row(str(order.pk), _order_link(order), order.short_id, [
            order.customer_email, f"“{mail.subject}”" if mail else order.mail_kind or "–", order.mail_error or "–",
            f"No mail; the status page shows {order.get_status_display().lower()} and says we could not email them.",
        ]))
    return Section(
        key="mails_undeliverable",
        title="Mails undeliverable",
        why="The mail server refused these for good (a bad address, say), so they are not sent again by "
        "themselves. The customer only knows what the status page says: reach them another way.",
        columns=["Customer", "Mail not delivered", "Mail server said", "What the customer was told"],
        rows=rows,
        total=given_up.count(),
    )


def notifications_given_up() -> Section:
    given_up = CallbackDelivery.objects.filter(state=DeliveryState.GAVE_UP).select_related("order").order_by("-last_tried_at")
    return Section(
        key="notifications",
        title="Notifications given up",
        why="Signed notifications to API clients' callback_url that failed every try. The client can still "
        "read the order with GET /api/orders/{id}; tell them, or fix their endpoint.",
        columns=["About", "Announces", "Tries", "Last answer"],
        rows=[
            Row("", reverse("admin:api_callbackdelivery_change", args=[d.pk]), d.url,
                [d.about, d.status, f"{d.tries}/{d.max_tries}",
                 f"HTTP {d.last_http_status}" if d.last_http_status else (d.last_error[:200] or "–")])
            for d in given_up[:ROW_LIMIT]
        ],
        total=given_up.count(),
    )


def task_failures() -> Section:
    failures = Failure.objects.order_by("-stopped")
    return Section(
        key="task_failures",
        title="django-q2 task failures",
        why="Tasks that raised. Each order's own trouble is in the sections above; a failure here with no "
        "order behind it is a bug to look at. Its page has the whole traceback.",
        columns=["Function", "Group", "Failed at", "Tries", "Error"],
        rows=[
            Row("", reverse("admin:django_q_failure_change", args=[f.pk]), f.name,
                [f.func, f.group or "–", _when(f.stopped), str(f.attempt_count), _last_line(f.result)])
            for f in failures[:50]
        ],
        total=failures.count(),
    )


# The page, in order.
SECTIONS = [queue_not_moving, failed_orders, stuck, compensations_pending, cancelled_by_shop, mails_not_sent,
            mails_undeliverable, notifications_given_up, task_failures]


def sections() -> list[Section]:
    return [make() for make in SECTIONS]


def attention_summary() -> list[tuple[str, str, int]]:
    """(key, title, count) of each section, for the admin index's link to the page."""
    return [(section.key, section.title, section.count) for section in sections()]


def last_failure(order: Order, task: str) -> str:
    failure = Failure.objects.filter(group=task_group(order), func=task).order_by("-stopped").first()
    return _last_line(failure.result) if failure else "no failed task recorded (the job may have been lost)"


def last_compensation_try(order: Order) -> str:
    """What the last compensating call's try recorded (cancellation records each one as an event)."""
    if not order.cancel_tries:
        return "none answered yet"
    event = ExecutionEvent.objects.filter(order=order, kind=EventKind.CANCEL_REQUESTED).order_by("-at", "-pk").first()
    return event.engine_did if event else "–"


def _last_line(result) -> str:
    lines = [line for line in str(result or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "–"



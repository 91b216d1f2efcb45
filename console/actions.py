"""The bulk actions of the needs-attention page. Each one goes through the workflow's own functions (the
same state machine and claims the workers use), and says per order whether it applies, so the
confirmation page can show what will happen before anything does."""

from dataclasses import dataclass
from typing import Callable

from django.db import transaction

from orders.models import ConcurrentTransition, IllegalTransition, Order, OrderStatus
from workflow.cancellation import NotCancellable, request_cancellation
from workflow.attempt import enqueue_store_order
from workflow.mail import enqueue_status_email
from workflow.start import retry_failed_order


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: str  # the button
    done: str  # the message afterwards, with {n}
    why_not: Callable[[Order], str]  # "" when the action applies to the order
    run: Callable[[Order], None]
    will: Callable[[Order], str] = lambda order: ""  # what it will do to an order it applies to, if not obvious


def _not_failed(order: Order) -> str:
    return "" if order.status == OrderStatus.FAILED else f"it is {order.get_status_display().lower()}, not failed"


def _not_open(order: Order) -> str:
    return f"it is {order.get_status_display().lower()} already" if order.is_final else ""


def _requeue(order: Order) -> None:
    with transaction.atomic():
        enqueue_store_order(order)  # a job that finds nothing due does nothing (workflow.attempt's claim)


def _resend_mail(order: Order) -> None:
    with transaction.atomic():
        enqueue_status_email(order)  # the send is claimed, so it cannot go twice


def _how_cancelled(order: Order) -> str:
    if order.can_cancel_at_once:
        return "cancelled at once: the shop cannot hold it yet"
    return ("the shop may hold it: it becomes cancelling, and a compensating call asks the shop to cancel it; "
            "if the shop says it is too late, it stays confirmed and the customer is told")


def _cancel(order: Order) -> None:
    request_cancellation(order.pk, by="admin")  # the one path every cancellation takes (workflow.cancellation)


ACTIONS = {
    action.key: action
    for action in [
        BulkAction("retry", "Retry with a fresh budget of attempts", "Retrying {n} order(s).", _not_failed, retry_failed_order),
        BulkAction("requeue", "Queue the store-order job again", "Queued the job of {n} order(s) again.", _not_open, _requeue),
        BulkAction("resend_mail", "Send the mail again", "Queued the mail of {n} order(s).", lambda order: order.why_no_mail_due, _resend_mail),
        BulkAction("cancel", "Cancel", "Cancelled {n} order(s), or asked the shop to cancel them.", lambda order: order.why_not_cancellable, _cancel,
                   _how_cancelled),
    ]
}


@dataclass(frozen=True)
class Plan:
    action: BulkAction
    applies: list[Order]
    skipped: list[tuple[Order, str]]

    @property
    def described(self) -> list[tuple[Order, str]]:
        """Each order the action applies to, with what it will do to it (may be empty)."""
        return [(order, self.action.will(order)) for order in self.applies]


# The largest primary key a database stores (a signed 64-bit integer); a larger one would not be a 404
# but an OverflowError, a 500.
_LARGEST_PK = 2**63 - 1


def order_pks(values: list[str]) -> list[int]:
    """The order ids among the posted values: ASCII digits that fit the database (str.isdigit() also takes
    other scripts' digits, which int() reads); anything else selects nothing."""
    return [int(value) for value in values if value.isascii() and value.isdigit() and 0 < int(value) <= _LARGEST_PK]


def plan(action_key: str, order_ids: list[str]) -> Plan:
    action = ACTIONS[action_key]
    orders = Order.objects.filter(pk__in=order_pks(order_ids)).select_related("pizza").order_by("pk")
    applies, skipped = [], []
    for order in orders:
        reason = action.why_not(order)
        if reason:
            skipped.append((order, reason))
        else:
            applies.append(order)
    return Plan(action, applies, skipped)


def carry_out(plan: Plan) -> tuple[int, list[tuple[Order, str]]]:
    """Run the action on each order it applies to; returns how many it did and what it skipped, and why
    (a worker may have moved an order between the confirmation page and now)."""
    done, skipped = 0, list(plan.skipped)
    for order in plan.applies:
        try:
            plan.action.run(order)
            done += 1
        except (IllegalTransition, ConcurrentTransition):
            skipped.append((order, "it changed in the meantime"))
        except NotCancellable as refusal:
            skipped.append((order, str(refusal)))
    return done, skipped

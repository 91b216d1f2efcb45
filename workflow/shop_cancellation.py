"""The shop changed its mind: it cancelled an order it had accepted. One function for every way the app
learns it (the shop's signed `order.cancelled` event, the reconciliation sweep, the shop's answer when asked),
kept apart from workflow/outcomes.py so that the sweep, which outcomes' compensation imports, can use it too."""

import logging

from orders.models import Order
from orders.signals import order_finalised

from .events import record_event
from .models import EventKind

logger = logging.getLogger(__name__)


def cancelled_by_shop(order: Order, *, reason: str, now, how: str) -> None:
    """The shop cancelled an order it had accepted: cancelled here with its reason; the customer's mail (one,
    "the shop cancelled your order") and any API notification follow. `how`: how we learnt it."""
    order.cancelled_by_shop(reason=reason, now=now)
    order_finalised.send(sender=Order, order=order)
    record_event(
        order, EventKind.CANCELLED_BY_SHOP, at=now,
        customer=f"Status page: cancelled ({order.cancel_reason}); an email says so.",
        engine=f"The shop cancelled the order after accepting it; {how}.",
        database="Committed: order 'cancelled' with the shop's reason, the cancellation email job.",
    )
    logger.warning("order %s: %s (%s)", order.short_id, order.cancel_reason, how)

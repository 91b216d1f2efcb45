"""The order's states and the only moves between them. The moves themselves are methods of orders.models.Order
(each checks ALLOWED_TRANSITIONS, then writes with a compare-and-set UPDATE)."""

from django.db import models


class OrderStatus(models.TextChoices):
    """Where an order stands. `confirmed`, `failed` and `cancelled` are final (see docs/ARCHITECTURE.md)."""

    RECEIVED = "received", "Received"  # committed together with the job that will send it
    SENDING = "sending", "Sending to the shop"  # an attempt is under way
    AWAITING_CALLBACK = "awaiting_callback", "Waiting for the shop's answer"  # the shop acknowledged; it calls back
    WAITING_RETRY = "waiting_retry", "Waiting to try again"  # an attempt failed; the next one is scheduled
    CONFIRMED = "confirmed", "Confirmed"  # the shop accepted it
    FAILED = "failed", "Failed"  # given up: rejected by the shop, or out of attempts
    # Cancellation asked for while the shop may hold the order: we are asking the shop to cancel it.
    CANCELLING = "cancelling", "Cancelling at the shop"
    CANCELLED = "cancelled", "Cancelled"  # by the customer, the API or an admin; the shop does not hold it


FINAL_STATUSES = frozenset({OrderStatus.CONFIRMED, OrderStatus.FAILED, OrderStatus.CANCELLED})
# When an order reached each final status: the one map Order.final_at and every query by final time read.
FINAL_AT_FIELDS = {OrderStatus.CONFIRMED: "confirmed_at", OrderStatus.FAILED: "failed_at", OrderStatus.CANCELLED: "cancelled_at"}
# Where an order may be when the shop says it cancelled it after accepting it: confirmed, or still waiting
# for the accepted callback (which a lost or slow delivery let the cancellation overtake).
SHOP_MAY_CANCEL = frozenset({OrderStatus.CONFIRMED, OrderStatus.AWAITING_CALLBACK})


class MailStatus(models.TextChoices):
    """Where the order's latest status mail stands."""

    NONE = "", "No mail yet"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Refused for now, trying again"  # 4xx or the server unreachable: backoff
    UNDELIVERABLE = "undeliverable", "Undeliverable"  # refused for good (5xx), or out of tries

# The only moves an order may make. SENDING -> SENDING is taking over an attempt whose worker died;
# AWAITING_CALLBACK is the wait state of the shop's callback mode (see workflow/callbacks.py);
# FAILED -> RECEIVED is an admin's retry with a fresh budget of attempts. A confirmed order moves only to be
# cancelled: by us through CANCELLING, or by the shop itself (it changed its mind: CONFIRMED -> CANCELLED,
# and AWAITING_CALLBACK -> CANCELLED when its cancellation overtook its acceptance; Order.cancelled_by_shop).
# Cancellation: an order the shop cannot hold yet goes straight to CANCELLED (Order.cancel_at_once); one it
# may hold goes to CANCELLING, and from there to CANCELLED when the shop agrees, or to CONFIRMED when the shop
# says it is too late (see workflow/cancellation.py).
ALLOWED_TRANSITIONS = {
    OrderStatus.RECEIVED: {OrderStatus.SENDING, OrderStatus.CANCELLED, OrderStatus.CANCELLING},
    OrderStatus.SENDING: {
        OrderStatus.SENDING,
        OrderStatus.AWAITING_CALLBACK,
        OrderStatus.WAITING_RETRY,
        OrderStatus.CONFIRMED,
        OrderStatus.FAILED,
        OrderStatus.CANCELLING,
    },
    # The shop's callback may come while we wait for it, or late: after the deadline made us retry.
    # AWAITING_CALLBACK -> AWAITING_CALLBACK: the shop says "pending" at the deadline, so we wait longer.
    OrderStatus.AWAITING_CALLBACK: {
        OrderStatus.AWAITING_CALLBACK, OrderStatus.CONFIRMED, OrderStatus.WAITING_RETRY, OrderStatus.FAILED,
        OrderStatus.CANCELLING, OrderStatus.CANCELLED,
    },
    OrderStatus.WAITING_RETRY: {OrderStatus.SENDING, OrderStatus.CONFIRMED, OrderStatus.CANCELLED, OrderStatus.CANCELLING},
    OrderStatus.CONFIRMED: {OrderStatus.CANCELLING, OrderStatus.CANCELLED},
    OrderStatus.FAILED: {OrderStatus.RECEIVED},
    OrderStatus.CANCELLING: {OrderStatus.CANCELLED, OrderStatus.CONFIRMED},
    OrderStatus.CANCELLED: set(),
}


class IllegalTransition(Exception):
    """The order's state machine does not allow this move from the order's current status."""

    def __init__(self, order: "Order", target: str):
        super().__init__(f"order {order.public_id}: {order.status} -> {target} is not allowed")
        self.current = order.status
        self.target = target


class ConcurrentTransition(Exception):
    """Another process moved the order first; this copy of it is stale."""

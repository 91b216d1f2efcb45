"""The order's states and the only moves between them. The moves themselves are methods of orders.models.Order
(each checks ALLOWED_TRANSITIONS, then writes with a compare-and-set UPDATE)."""

from django.db import models


class OrderStatus(models.TextChoices):
    """Where an order stands. `confirmed` and `failed` are final (see docs/ARCHITECTURE.md)."""

    RECEIVED = "received", "Received"  # committed together with the job that will send it
    SENDING = "sending", "Sending to the shop"  # an attempt is under way
    AWAITING_CALLBACK = "awaiting_callback", "Waiting for the shop's answer"  # the shop acknowledged; it calls back
    WAITING_RETRY = "waiting_retry", "Waiting to try again"  # an attempt failed; the next one is scheduled
    CONFIRMED = "confirmed", "Confirmed"  # the shop accepted it
    FAILED = "failed", "Failed"  # given up: rejected by the shop, or out of attempts


FINAL_STATUSES = frozenset({OrderStatus.CONFIRMED, OrderStatus.FAILED})

# The only moves an order may make. SENDING -> SENDING is taking over an attempt whose worker died;
# AWAITING_CALLBACK is the wait state of the shop's callback mode (see workflow/callbacks.py);
# FAILED -> RECEIVED is an admin's retry with a fresh budget of attempts. A confirmed order never moves.
ALLOWED_TRANSITIONS = {
    OrderStatus.RECEIVED: {OrderStatus.SENDING},
    OrderStatus.SENDING: {
        OrderStatus.SENDING,
        OrderStatus.AWAITING_CALLBACK,
        OrderStatus.WAITING_RETRY,
        OrderStatus.CONFIRMED,
        OrderStatus.FAILED,
    },
    # The shop's callback may come while we wait for it, or late: after the deadline made us retry.
    # AWAITING_CALLBACK -> AWAITING_CALLBACK: the shop says "pending" at the deadline, so we wait longer.
    OrderStatus.AWAITING_CALLBACK: {
        OrderStatus.AWAITING_CALLBACK, OrderStatus.CONFIRMED, OrderStatus.WAITING_RETRY, OrderStatus.FAILED,
    },
    OrderStatus.WAITING_RETRY: {OrderStatus.SENDING, OrderStatus.CONFIRMED},
    OrderStatus.CONFIRMED: set(),
    OrderStatus.FAILED: {OrderStatus.RECEIVED},
}


class IllegalTransition(Exception):
    """The order's state machine does not allow this move from the order's current status."""

    def __init__(self, order: "Order", target: str):
        super().__init__(f"order {order.public_id}: {order.status} -> {target} is not allowed")
        self.current = order.status
        self.target = target


class ConcurrentTransition(Exception):
    """Another process moved the order first; this copy of it is stale."""

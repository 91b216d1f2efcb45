"""Asking the shop what it holds under an order's idempotency key, before giving up on it or after a
callback that did not come. Its answer is one of `ShopHolds`, which every caller matches on."""

from dataclasses import dataclass
from enum import StrEnum

from orders.models import Order

from .shop_client import ShopClient, ShopUnavailable, default_shop_client


class ShopHolds(StrEnum):
    ACCEPTED = "accepted"  # it placed the order: confirm it
    PENDING = "pending"  # it has the order and has not decided: wait for its callback
    NOTHING = "nothing"  # it has no such order: sending it (again) is safe
    CANCELLED = "cancelled"  # it had the order and cancelled it (`detail`: the shop's reason, if it changed its mind)
    UNREACHABLE = "unreachable"  # it could not be asked


@dataclass(frozen=True)
class ShopAnswer:
    """What the shop says it holds under an order's idempotency key."""

    holds: ShopHolds
    shop_order_id: str = ""
    detail: str = ""

    def __str__(self):
        return {
            ShopHolds.ACCEPTED: f"the shop has accepted it ({self.shop_order_id})",
            ShopHolds.PENDING: "the shop has it and has not decided yet",
            ShopHolds.NOTHING: "the shop has no such order",
            ShopHolds.CANCELLED: f"the shop cancelled it ({self.detail or 'no reason given'})",
            ShopHolds.UNREACHABLE: f"the shop could not be asked ({self.detail})",
        }[self.holds]


def ask_the_shop(order: Order, client: ShopClient | None = None, *, timeout_s: float | None = None) -> ShopAnswer:
    try:
        known = (client or default_shop_client()).look_up(str(order.idempotency_key), timeout_s=timeout_s)
    except ShopUnavailable as error:
        return ShopAnswer(ShopHolds.UNREACHABLE, detail=str(error))
    if not known:
        return ShopAnswer(ShopHolds.NOTHING)
    if known.get("status") == "pending":
        return ShopAnswer(ShopHolds.PENDING)
    if known.get("status") == "cancelled":
        # Never "accepted": a cancelled entry still carries its shop_order_id, and must not confirm anything.
        return ShopAnswer(ShopHolds.CANCELLED, shop_order_id=str(known.get("shop_order_id") or ""),
                          detail=str(known.get("cancel_reason") or "")[:200])
    if known.get("shop_order_id"):
        return ShopAnswer(ShopHolds.ACCEPTED, shop_order_id=known["shop_order_id"])
    return ShopAnswer(ShopHolds.NOTHING, detail=f"an entry without a reference: {known}")

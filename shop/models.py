"""The shop simulator's own data: its fault knobs, its ledger of orders and its call counters.

All of it lives in the "shop" database (see shop/routers.py); the app never reads it but over HTTP.
"""

import secrets
from datetime import timedelta
from enum import StrEnum

from django.db import models
from django.db.models import F
from django.utils import timezone

DEFAULT_CANCEL_WINDOW_S = 300.0  # five minutes to change one's mind, then the pizza is in the oven
DEFAULT_SHOP_CANCEL_AFTER_S = 5.0  # shop_cancel_rate: soon enough for a room to watch it happen


class Singleton(models.Model):
    """A table that holds exactly one row, pk=1, created on first use."""

    class Meta:
        abstract = True

    @classmethod
    def load(cls):
        row, _ = cls.objects.get_or_create(pk=1)
        return row

    @classmethod
    def restore_defaults(cls) -> None:
        # A fresh instance carries every field's default; saving it over pk=1 overwrites the whole row.
        cls(pk=1).save()

    @classmethod
    def add_one(cls, field_name: str) -> None:
        """Add one to a counter; an UPDATE with F() so that concurrent threads all count. The row is created
        only when the UPDATE finds none (a fresh database): one query per call, not a read and a write."""
        if not cls.objects.filter(pk=1).update(**{field_name: F(field_name) + 1}):
            cls.load()
            cls.objects.filter(pk=1).update(**{field_name: F(field_name) + 1})


class ShopMode(models.TextChoices):
    """How the shop answers POST /orders."""

    SYNC = "sync", "Decide in the call and answer with the result"
    CALLBACK = "callback", "Acknowledge at once, decide later and POST the result to the caller's callback_url"


class ShopSettings(Singleton):
    """The fault knobs every call to POST /orders reads. Their ranges are checked in shop/validation.py."""

    failure_rate = models.FloatField(default=0.0, help_text="Share of calls answered 503 without placing.")
    latency_s = models.FloatField(default=0.0, help_text="Seconds every call waits before it is handled.")
    lost_response_rate = models.FloatField(
        default=0.0, help_text="Share of accepted calls whose response is lost (the connection is cut)."
    )
    down = models.BooleanField(default=False, help_text="Answer every call 503 at once, until told otherwise.")
    down_until = models.DateTimeField(
        null=True, blank=True, default=None, help_text="A timed outage (down_for_s): down until then, then back."
    )
    seed = models.BigIntegerField(
        null=True, blank=True, default=None, help_text="Seed of the fault draws; empty for unrepeatable draws."
    )
    mode = models.CharField(max_length=10, choices=ShopMode.choices, default=ShopMode.SYNC)
    cancel_window_s = models.FloatField(
        default=DEFAULT_CANCEL_WINDOW_S, help_text="How long after acceptance an order may still be cancelled."
    )
    shop_cancel_rate = models.FloatField(
        default=0.0, help_text="Share of accepted orders the shop cancels itself, shop_cancel_after_s later."
    )
    shop_cancel_after_s = models.FloatField(
        default=DEFAULT_SHOP_CANCEL_AFTER_S, help_text="How long after acceptance the shop changes its mind."
    )

    class Meta:
        verbose_name = "shop settings"
        verbose_name_plural = "shop settings"

    def __str__(self):
        return "Shop settings"

    def is_down(self, now=None) -> bool:
        """Down for good, or inside a timed outage; a timed outage ends by itself, with no one to end it."""
        return self.down or self.outage_left_s(now) is not None

    def outage_left_s(self, now=None) -> float | None:
        """Seconds until a timed outage ends; None when there is none (or it is over)."""
        if self.down_until is None:
            return None
        left = (self.down_until - (now or timezone.now())).total_seconds()
        return left if left > 0 else None

    def change(self, changes: dict) -> None:
        """Apply validated knobs and save them. `down` comes before `down_for_s`, so that either ends the
        outage under way: `down` (true: for good, false: up now), `down_for_s` (down now, back after it)."""
        changes = dict(changes)
        if "down" in changes:
            changes["down_until"] = None
        if "down_for_s" in changes:
            down_for_s = changes.pop("down_for_s")
            changes["down"] = False
            changes["down_until"] = timezone.now() + timedelta(seconds=down_for_s) if down_for_s else None
        for name, value in changes.items():
            setattr(self, name, value)
        if changes:  # only the knobs named: a concurrent PUT of other knobs keeps its values
            self.save(update_fields=list(changes))

    def to_json(self) -> dict:
        now = timezone.now()
        left_s = self.outage_left_s(now)
        return {
            "failure_rate": self.failure_rate,
            "latency_s": self.latency_s,
            "lost_response_rate": self.lost_response_rate,
            "down": self.is_down(now),
            # A timed outage: how long it still lasts and when the shop is back; both null otherwise.
            "down_for_s": round(left_s, 1) if left_s is not None else None,
            "down_until": self.down_until.isoformat() if left_s is not None else None,
            "seed": self.seed,
            "mode": self.mode,
            "cancel_window_s": self.cancel_window_s,
            "shop_cancel_rate": self.shop_cancel_rate,
            "shop_cancel_after_s": self.shop_cancel_after_s,
        }


def new_shop_order_id() -> str:
    """The shop's own reference for an order, e.g. "SHOP-3F9A0C12BE"; in callback mode, also its ticket."""
    return "SHOP-" + secrets.token_hex(5).upper()


class ApiClient(models.Model):
    """A client of the shop (an app instance), known by its API key. Only the key's SHA-256 is kept: a key is
    32 random bytes, so its hash cannot be reversed by guessing, and a copy of the database opens nothing."""

    name = models.CharField(max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key, hex.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class LedgerStatus(models.TextChoices):
    """Where an order stands: callback mode acknowledges it "pending" and decides it later; the caller may
    cancel it while it is pending, or within cancel_window_s of its acceptance; the shop may cancel an
    accepted order itself (cancelled_by "shop")."""

    PENDING = "pending", "Acknowledged, not decided yet"
    ACCEPTED = "accepted", "Accepted"
    CANCELLED = "cancelled", "Cancelled"


class CancelledBy(models.TextChoices):
    CLIENT = "client", "The client that placed it"
    SHOP = "shop", "The shop (it changed its mind)"


class LedgerEntry(models.Model):
    """One order, per client and idempotency key: however often a key arrives, it is placed once. Each
    client's keys are its own: another client's entries are neither seen nor touched through its key."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="entries")
    idempotency_key = models.CharField(max_length=200)
    shop_order_id = models.CharField(max_length=20, unique=True, default=new_shop_order_id, editable=False)
    # The caller's order reference, kept apart from the payload so that duplicates (one order placed under
    # two keys, which idempotency keys exist to prevent) can be counted.
    reference = models.CharField(max_length=200, db_index=True)
    received = models.PositiveIntegerField(
        default=1, help_text="How many calls carried this key and reached the accept stage."
    )
    status = models.CharField(max_length=10, choices=LedgerStatus.choices, default=LedgerStatus.ACCEPTED)
    accepted_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the order is pending.")
    cancelled_at = models.DateTimeField(null=True, blank=True, help_text="When it was cancelled.")
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True, help_text="Why the shop cancelled it.")
    last_received_at = models.DateTimeField(auto_now=True)
    payload = models.JSONField(help_text="The body of the first call that was accepted.")
    callback_url = models.URLField(
        max_length=2000, blank=True, help_text="Where the decision is POSTed (callback mode); empty in sync mode."
    )

    class Meta:
        # In the order the keys first arrived: the id grows with every entry, and a pending entry has no
        # accepted_at to sort by.
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(fields=["client", "idempotency_key"], name="one_entry_per_client_key"),
        ]

    def __str__(self):
        return f"{self.shop_order_id} ({self.idempotency_key})"

    def to_json(self) -> dict:
        """What the client that placed it sees: no customer, and not the caller's order reference (the app's
        public id, which opens a page with the customer's email and address)."""
        return {
            "idempotency_key": self.idempotency_key,
            "shop_order_id": self.shop_order_id,
            "status": self.status,
            "received": self.received,
            "accepted_at": _iso(self.accepted_at),
            "cancelled_at": _iso(self.cancelled_at),
            "cancelled_by": self.cancelled_by or None,
            "cancel_reason": self.cancel_reason or None,
        }

    def to_json_for_operator(self) -> dict:
        """The entry as the control token's holder sees it in the whole ledger: whose client it is."""
        return {**self.to_json(), "client": self.client.name}

    def to_json_with_details(self) -> dict:
        """The entry with its customer details, for holders of the control token only."""
        return {
            **self.to_json_for_operator(),
            "reference": self.reference,
            # Who the pizza is for: a customer who submitted twice has two references but one name.
            "customer": (self.payload.get("customer") or {}).get("name", ""),
            "callback_url": self.callback_url or None,
        }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


class Outcome(StrEnum):
    """How one call to POST /orders ended; each value names a counter of CallStats."""

    ACCEPTED = "accepted"  # 201, a new ledger entry
    ACKNOWLEDGED = "acknowledged"  # 202, a new ledger entry, pending (callback mode)
    REPLAYED = "replayed"  # 200 (or 202 while pending), a key already in the ledger
    LOST_RESPONSE = "lost_response"  # placed or replayed, then the connection was cut
    FAILED_INJECTED = "failed_injected"  # 503 drawn from failure_rate, nothing placed
    DOWN = "down"  # 503 because the shop is down, nothing placed
    INVALID = "invalid"  # 400 or 422, nothing placed


class CallStats(Singleton):
    """How many calls to POST /orders ended which way; each call counts under exactly one outcome."""

    accepted = models.PositiveBigIntegerField(default=0)
    acknowledged = models.PositiveBigIntegerField(default=0)
    replayed = models.PositiveBigIntegerField(default=0)
    lost_response = models.PositiveBigIntegerField(default=0)
    failed_injected = models.PositiveBigIntegerField(default=0)
    down = models.PositiveBigIntegerField(default=0)
    invalid = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "call statistics"
        verbose_name_plural = "call statistics"

    def __str__(self):
        return "Call statistics"

    @classmethod
    def count(cls, outcome: Outcome) -> None:
        """Add one call to the outcome's counter."""
        cls.add_one(outcome.value)

    def to_json(self) -> dict:
        counters = {outcome.value: getattr(self, outcome.value) for outcome in Outcome}
        return {"calls": sum(counters.values()), **counters}


class CallbackEvent(StrEnum):
    """What happened to one try of a callback, or to the whole callback; each names a CallbackStats counter."""

    SENT = "callbacks_sent"  # the webhook answered 2xx or 409: delivered
    FAILED_TRY = "callback_failures"  # a try that did not deliver: no answer, a timeout, 5xx/429, or a refusal
    ABANDONED = "callbacks_abandoned"  # the shop gave up: out of tries, or the webhook refused it (other 4xx)


class CallbackStats(Singleton):
    """How the shop's callbacks went (callback mode). A decided callback ends sent or abandoned, once."""

    callbacks_sent = models.PositiveBigIntegerField(default=0)
    callback_failures = models.PositiveBigIntegerField(default=0)
    callbacks_abandoned = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "callback statistics"
        verbose_name_plural = "callback statistics"

    def __str__(self):
        return "Callback statistics"

    def to_json(self) -> dict:
        return {event.value: getattr(self, event.value) for event in CallbackEvent}

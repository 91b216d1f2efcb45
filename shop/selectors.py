"""What the shop tells about itself: its ledger and how the calls to it ended."""

from django.db.models import Count

from .models import CallbackStats, CallStats, LedgerEntry


def ledger() -> list[LedgerEntry]:
    """Every order, pending or accepted, one per idempotency key, in the order the keys first arrived."""
    return list(LedgerEntry.objects.order_by("id"))


def find_ledger_entry(idempotency_key: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()


def shop_stats() -> dict:
    """The call and callback counters, the ledger's size (pending entries too), and how many order
    references were placed more than once.

    A key received many times is idempotency at work, not a duplicate; a duplicate is one order reference
    under two keys, a pizza made twice. The app must keep `duplicate_references` at 0.
    """
    duplicate_references = (
        LedgerEntry.objects.values("reference").annotate(entries=Count("id")).filter(entries__gt=1).count()
    )
    return {
        **CallStats.load().to_json(),
        **CallbackStats.load().to_json(),
        "ledger_size": LedgerEntry.objects.count(),
        "duplicate_references": duplicate_references,
    }

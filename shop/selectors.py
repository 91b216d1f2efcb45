"""What the shop tells about itself: its ledger and how the calls to it ended."""

from django.db.models import Count

from .calls_in_progress import calls_in_progress
from .models import ApiClient, CallbackStats, CallStats, LedgerEntry


def ledger(*, client: ApiClient | None = None) -> list[LedgerEntry]:
    """The client's orders (every client's without one), one per idempotency key, in the order the keys
    first arrived."""
    entries = LedgerEntry.objects.select_related("client").order_by("id")
    return list(entries if client is None else entries.filter(client=client))


def find_ledger_entry(
    idempotency_key: str, *, client: ApiClient | None = None, client_name: str | None = None
) -> LedgerEntry | None:
    """The client's entry under the key; without a client (the operator), the first client's to use the key,
    or the named client's."""
    entries = LedgerEntry.objects.select_related("client").filter(idempotency_key=idempotency_key).order_by("id")
    if client is not None:
        entries = entries.filter(client=client)
    elif client_name:
        entries = entries.filter(client__name=client_name)
    return entries.first()


def shop_stats() -> dict:
    """The call and callback counters, the ledger's size (pending entries too), how many order
    references were placed more than once, and how many calls to POST /orders are under way.

    A key received many times is idempotency at work, not a duplicate; a duplicate is one client's order
    reference under two keys, a pizza made twice. The app must keep `duplicate_references` at 0.
    """
    duplicate_references = (
        LedgerEntry.objects.values("client", "reference").annotate(entries=Count("id")).filter(entries__gt=1).count()
    )
    return {
        **CallStats.load().to_json(),
        **CallbackStats.load().to_json(),
        "ledger_size": LedgerEntry.objects.count(),
        "clients": ApiClient.objects.count(),  # how many; never their names or keys
        "duplicate_references": duplicate_references,
        "calls_in_progress": calls_in_progress.count,
    }

"""compare_modes' measurement: the same customers, the same shop fault, once per mode.

Customers use the real form over HTTP, one after another. A customer who sees an error submits once more,
then gives up, as the seed's customer "must decide whether to submit again".
"""

import time
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

from datetime import timedelta

from orders.models import Order, OrderStatus, StoreMode
from workflow.models import current_store_mode, set_store_mode
from workflow.reconciliation import reconcile_with_shop
from workflow.shop_client import ShopClient

from .figures import percentile
from .scenarios import SCENARIOS
from .shop_control import ShopControl
from .simulation import FormCustomer, made_up_customer

SUBMITS_PER_CUSTOMER = 2


@dataclass(frozen=True)
class Row:
    scenario: str
    mode: str
    customers: int
    wait_p50_s: float | None
    wait_p95_s: float | None
    errors_shown: int
    confirmed: int
    failed: int
    lost: int
    duplicates: int
    unknown_to_app: int
    orphans_before_sweep: int  # accepted at the shop, not confirmed here, before the reconciliation sweep
    not_confirmed_here: int  # the same, after the sweep: 0 when every difference was settled
    confirmation_p50_s: float | None
    confirmation_p95_s: float | None


def run_comparison(*, scenarios, customers: int, web_url: str, settle_timeout_s: float, progress=lambda text: None) -> list[Row]:
    control = ShopControl(timeout_s=10)
    mode_before = current_store_mode()
    rows = []
    try:
        for name in scenarios:
            for mode in (StoreMode.SYNC, StoreMode.ASYNC):
                rows.append(_run_one(name, mode, customers, web_url, settle_timeout_s, control, progress))
    finally:
        set_store_mode(mode_before)
        control.reset()
    return rows


def _run_one(name, mode, customers, web_url, settle_timeout_s, control, progress) -> Row:
    set_store_mode(mode)
    control.reset()
    control.configure(**SCENARIOS[name].settings, seed=2026)
    client = FormCustomer(web_url)
    run_id = f"{int(time.time()) % 100000}"
    submissions, accepted, first_try = [], {}, {}
    for number in range(customers):
        fields = made_up_customer(number)
        fields["name"] = f"{fields['name']} {name}-{mode}-{run_id}"  # unique per run, for the shop's ledger
        form = client.open_form()
        for _ in range(SUBMITS_PER_CUSTOMER):
            submission = client.submit(fields, form)  # again after an error: the same form, as a person would
            submissions.append(submission)
            first_try.setdefault(fields["name"], submission.started_at)
            if submission.accepted:
                accepted[fields["name"]] = submission.location.rstrip("/").rsplit("/", 1)[1]
                break
        progress(f"{name} · {mode}: customer {number + 1}/{customers}")

    deadline = time.monotonic() + settle_timeout_s
    orders = {}
    while True:
        orders = {o.customer_name: o for o in Order.objects.filter(public_id__in=accepted.values())}
        if all(o.is_final for o in orders.values()) or time.monotonic() > deadline:
            break
        progress(f"{name} · {mode}: waiting for {sum(not o.is_final for o in orders.values())} order(s) to finish")
        time.sleep(0.5)

    orphans_before = _not_confirmed_here(control.ledger())
    # The reconciliation sweep, as the cluster runs it every minute; every order here is final (or given up
    # on by the settle timeout), so an entry unknown to the app needs no grace period.
    reconcile_with_shop(client=ShopClient(control.base_url, connect_timeout_s=3, read_timeout_s=10), grace=timedelta(0))
    ledger = control.ledger()
    per_customer = {}
    for entry in ledger:
        per_customer[entry.get("customer", "")] = per_customer.get(entry.get("customer", ""), 0) + 1
    ledger_keys = {entry["idempotency_key"] for entry in ledger}
    # Matched by idempotency key: a resubmitted form reuses its key, though its order gets a new public id.
    known_keys = {str(key) for key in Order.objects.filter(idempotency_key__in=ledger_keys).values_list("idempotency_key", flat=True)}
    confirmed = [o for o in orders.values() if o.status == OrderStatus.CONFIRMED]
    lost = sum(not o.is_final for o in orders.values()) + sum(str(o.idempotency_key) not in ledger_keys for o in confirmed)
    confirmation_s = [
        (o.confirmed_at - datetime.fromtimestamp(first_try[o.customer_name], tz=dt_timezone.utc)).total_seconds()
        for o in confirmed
    ]
    waits = [s.waited_s for s in submissions]
    return Row(
        scenario=name,
        mode=mode,
        customers=customers,
        wait_p50_s=percentile(waits, 0.5),
        wait_p95_s=percentile(waits, 0.95),
        errors_shown=sum(not s.accepted for s in submissions),
        confirmed=len(confirmed),
        failed=sum(o.status == OrderStatus.FAILED for o in orders.values()),
        lost=lost,
        duplicates=sum(count - 1 for count in per_customer.values() if count > 1),
        unknown_to_app=sum(entry["idempotency_key"] not in known_keys and _held(entry) for entry in ledger),
        orphans_before_sweep=orphans_before,
        not_confirmed_here=_not_confirmed_here(ledger),
        confirmation_p50_s=percentile(confirmation_s, 0.5),
        confirmation_p95_s=percentile(confirmation_s, 0.95),
    )


def _held(entry: dict) -> bool:
    """The shop holds it: accepted, or pending a decision (a cancelled entry is no pizza)."""
    return entry.get("status", "accepted") in ("accepted", "pending")


def _not_confirmed_here(ledger: list[dict]) -> int:
    """Ledger entries the shop holds whose order here is not confirmed (or does not exist)."""
    held = [entry["idempotency_key"] for entry in ledger if _held(entry)]
    confirmed = {str(key) for key in Order.objects.filter(idempotency_key__in=held, status=OrderStatus.CONFIRMED)
                 .values_list("idempotency_key", flat=True)}
    return sum(key not in confirmed for key in held)


COLUMNS = [
    ("scenario", "scenario"),
    ("mode", "mode"),
    ("waited p50", "wait_p50_s"),
    ("waited p95", "wait_p95_s"),
    ("errors shown", "errors_shown"),
    ("confirmed", "confirmed"),
    ("failed (told)", "failed"),
    ("lost", "lost"),
    ("duplicates at shop", "duplicates"),
    ("orphans before the sweep", "orphans_before_sweep"),
    ("shop orders unknown to app", "unknown_to_app"),
    ("accepted at the shop, not confirmed here", "not_confirmed_here"),
    ("to confirmation p50", "confirmation_p50_s"),
    ("to confirmation p95", "confirmation_p95_s"),
]


def cell(row: Row, attribute: str) -> str:
    value = getattr(row, attribute)
    if value is None:
        return "—"
    if attribute.endswith("_s"):
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"
    if attribute in ("confirmed", "failed"):
        return f"{value}/{row.customers}"
    return str(value)


def as_text(rows: list[Row]) -> str:
    table = [[title for title, _ in COLUMNS]] + [[cell(row, attribute) for _, attribute in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    lines = ["  ".join(value.ljust(width) for value, width in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def as_markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(title for title, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(row, attribute) for _, attribute in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)

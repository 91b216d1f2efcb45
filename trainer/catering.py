"""The `catering` scenario's caterer: one CSV batch of made-up guests, a few of its rows bad on purpose."""

import csv
import io
import secrets

from batches.models import OrderBatch
from batches.staging import CSV_HEADER, stage_batch

from .simulation import made_up_customer

# What a caterer's spreadsheet gets wrong: each bad row is wrong in one field, in turn.
MISTAKES = [("size", "family"), ("email", "guest at example.com"), ("quantity", "0"), ("pizza", "pizza-of-the-day"),
            ("address", "")]


def catering_csv(rows: int, *, bad_every: int, first: int) -> bytes:
    """`rows` guests from made-up customer `first` on; every `bad_every`-th row has one mistake."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for n in range(1, rows + 1):
        guest = made_up_customer(first + n)
        if bad_every and n % bad_every == 0:
            field, wrong = MISTAKES[(n // bad_every - 1) % len(MISTAKES)]
            guest[field] = wrong
        writer.writerow([guest[column] for column in CSV_HEADER])
    return out.getvalue().encode()


def send_catering_batch(rows: int, *, bad_every: int) -> OrderBatch:
    """Stage the caterer's batch (its transform runs in the worker cluster); returns it."""
    first = (secrets.randbelow(90) + 10) * 100_000  # guests' numbers, distinct from one run to the next
    return stage_batch(catering_csv(rows, bad_every=bad_every, first=first), content_type="text/csv", source="trainer").batch

"""Taking a batch in: read the body (JSON or CSV), check it against the limits, and stage its rows.

Staging checks the request as a whole (its type, size, shape, the number of rows, the batch's callback_url)
and refuses it with a clear error if it is wrong; it does not check the rows one by one. Each row is kept as
it came and checked by the transform (batches.transform), through the order form's rules: a bad row is
reported with its number, field and message, and the good rows are placed anyway.

The batch, all its rows (one bulk insert) and the job that starts the transform commit in one transaction,
so the 202 promises only what is stored.
"""

import csv
import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import URLValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from api.destinations import PrivateDestination, check_destination
from core.strict_json import JsonRejected, loads_strict

from .models import BatchFormat, BatchRow, OrderBatch
from .queue import enqueue_chunk

CSV_HEADER = ("pizza", "size", "quantity", "name", "email", "address")
JSON_FIELDS = {"orders", "callback_url"}


class BatchRefused(Exception):
    """The request cannot be staged; nothing was kept. `status` is the HTTP status, `field` what is to blame."""

    def __init__(self, status: int, message: str, *, field: str | None = None, detail: str = ""):
        super().__init__(message)
        self.status, self.field, self.detail = status, field, detail or message


class BatchKeyReused(BatchRefused):
    def __init__(self):
        super().__init__(
            422, "This Idempotency-Key was used before with a different body; nothing was staged.",
            field="Idempotency-Key",
            detail="Use a new key for a new batch, or repeat the first body exactly to get its batch.",
        )


@dataclass(frozen=True)
class Staging:
    batch: OrderBatch
    replayed: bool  # True: the key staged this batch before; nothing new was staged


@dataclass(frozen=True)
class ParsedBatch:
    format: str
    rows: list
    callback_url: str


def read_body(stream, *, content_length: int | None) -> bytes:
    """The body, read up to the byte limit (Django's own 2.5 MB limit is for forms, not for batches)."""
    limit = settings.BATCH_MAX_BYTES
    if content_length is not None and content_length > limit:
        raise _too_many_bytes(content_length)
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise _too_many_bytes(None)
    return body


def _too_many_bytes(size: int | None) -> BatchRefused:
    sent = f" ({size:,} sent)" if size is not None else ""
    return BatchRefused(413, f"The body is larger than BATCH_MAX_BYTES, {settings.BATCH_MAX_BYTES:,} bytes{sent}: "
                        "split the batch; nothing was staged.", field="BATCH_MAX_BYTES")


def parse(body: bytes, *, content_type: str, callback_url: str = "") -> ParsedBatch:
    """The rows and the callback URL of a JSON or CSV body; raises BatchRefused."""
    if content_type in {"application/json"} or content_type.endswith("+json"):
        parsed = _parse_json(body)
    elif content_type in {"text/csv", "application/csv"}:
        parsed = ParsedBatch(BatchFormat.CSV, _parse_csv(body), callback_url)
    else:
        raise BatchRefused(415, f"Unsupported media type: send application/json or text/csv, not "
                           f"{content_type or 'a body with no type'}.")
    if not parsed.rows:
        raise BatchRefused(422, "The batch has no rows.", field="orders" if parsed.format == BatchFormat.JSON else "body")
    if len(parsed.rows) > settings.BATCH_MAX_ROWS:
        # (a CSV is read no further than one row past the limit: "more than", not how many)
        raise BatchRefused(413, f"The batch has more rows than BATCH_MAX_ROWS, {settings.BATCH_MAX_ROWS:,}: "
                           "split it; nothing was staged.", field="BATCH_MAX_ROWS")
    _check_callback_url(parsed.callback_url)
    return parsed


def _parse_json(body: bytes) -> ParsedBatch:
    try:
        value = loads_strict(body)
    except JsonRejected as error:
        raise BatchRefused(400, f"The body is not valid JSON ({error}).") from None
    if not isinstance(value, dict):
        raise BatchRefused(400, 'The body must be a JSON object: {"orders": [...], "callback_url": ...}.')
    if unknown := sorted(set(value) - JSON_FIELDS):
        raise BatchRefused(422, "The body has fields a batch does not have.", field=unknown[0],
                           detail=f"Unknown field: only {', '.join(sorted(JSON_FIELDS))}.")
    rows = value.get("orders")
    if not isinstance(rows, list):
        raise BatchRefused(422, "The batch has no list of orders.", field="orders",
                           detail="A list of orders, each as the body of POST /api/orders, is required.")
    callback_url = value.get("callback_url")
    if callback_url is not None and not isinstance(callback_url, str):
        raise BatchRefused(422, "The batch's callback_url is not a string.", field="callback_url")
    return ParsedBatch(BatchFormat.JSON, rows, callback_url or "")


def _parse_csv(body: bytes) -> list[dict]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BatchRefused(400, f"The CSV is not UTF-8 (byte {error.start}: {error.reason}).") from None
    if "\x00" in text:
        raise BatchRefused(400, "The CSV has a NUL character.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = tuple(column.strip().lower() for column in next(reader, ()))
        if header != CSV_HEADER:
            raise BatchRefused(422, f"The CSV's first line must be the header {','.join(CSV_HEADER)}.", field="header",
                               detail=f"Expected {','.join(CSV_HEADER)}, found {','.join(header) or 'nothing'}.")
        rows = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue  # a blank line (often the last one)
            row = dict(zip(CSV_HEADER, values))
            if len(values) != len(CSV_HEADER):
                row["_columns"] = len(values)  # reported by the transform with the row's number
            rows.append(row)
            if len(rows) > settings.BATCH_MAX_ROWS:
                break  # refused by the caller: no need to read the rest
    except csv.Error as error:
        raise BatchRefused(400, f"The CSV cannot be read (line {reader.line_num}: {error}).") from None
    return rows


def _check_callback_url(url: str) -> None:
    if not url:
        return
    max_length = OrderBatch._meta.get_field("callback_url").max_length
    if len(url) > max_length:
        raise BatchRefused(422, f"The callback_url is longer than {max_length} characters.", field="callback_url")
    try:
        URLValidator(schemes=("http", "https"))(url)
        check_destination(url)
    except ValidationError:
        raise BatchRefused(422, "The callback_url is not an http:// or https:// URL.", field="callback_url") from None
    except PrivateDestination as error:
        raise BatchRefused(422, f"The callback_url is not allowed: {error}.", field="callback_url") from None


def body_hash(body: bytes, content_type: str, callback_url: str) -> str:
    digest = hashlib.sha256(f"{content_type}\n{callback_url}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def stage_batch(body: bytes, *, content_type: str, idempotency_key: str | None = None, callback_url: str = "",
                source: str = "api") -> Staging:
    """Stage the batch the body describes and queue its transform; raises BatchRefused (nothing kept).

    With an idempotency key, a repeat of the same body answers the batch the key staged (nothing new), and
    another body raises BatchKeyReused; the key is unique, so of two concurrent requests one stages it.
    """
    digest = body_hash(body, content_type, callback_url)
    if idempotency_key and (earlier := _earlier_batch(idempotency_key, digest)):
        return Staging(earlier, replayed=True)
    parsed = parse(body, content_type=content_type, callback_url=callback_url)
    batch = OrderBatch(
        idempotency_key=idempotency_key or None, body_hash=digest, format=parsed.format, source=source,
        callback_url=parsed.callback_url, row_count=len(parsed.rows),
    )
    try:
        with transaction.atomic():
            batch.save()
            BatchRow.objects.bulk_create(
                [BatchRow(batch_id=batch.pk, number=number, data=data) for number, data in enumerate(parsed.rows, start=1)]
            )
            enqueue_chunk(batch, 0)
    except IntegrityError:
        earlier = idempotency_key and _earlier_batch(idempotency_key, digest)
        if not earlier:
            raise
        return Staging(earlier, replayed=True)
    return Staging(batch, replayed=False)


def _earlier_batch(key: str, digest: str) -> OrderBatch | None:
    batch = OrderBatch.objects.filter(idempotency_key=key).first()
    if batch is not None and batch.body_hash != digest:
        raise BatchKeyReused()
    return batch

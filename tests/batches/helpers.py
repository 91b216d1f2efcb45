"""A caterer's batch as a client sends it: JSON or CSV, some rows bad on purpose."""

import json

from ..api.helpers import order_body

CSV_HEADER = "pizza,size,quantity,name,email,address"


def good_row(n: int) -> dict:
    return order_body(quantity=1 + n % 3, customer={"name": f"Guest {n}", "email": f"guest{n}@example.com",
                                                     "address": f"{n} Banquet Hall"})


def bad_row(n: int) -> dict:
    """Bad in one field each, in turn: the size, the email, the quantity, an unknown pizza."""
    row = good_row(n)
    kind = n % 4
    if kind == 0:
        row["size"] = "gigantic"
    elif kind == 1:
        row["customer"]["email"] = "not-an-email"
    elif kind == 2:
        row["quantity"] = 0
    else:
        row["pizza"] = "pineapple-sushi"
    return row


BAD_FIELDS = {0: "size", 1: "customer.email", 2: "quantity", 3: "pizza"}


def batch_rows(count: int, bad: set[int] = frozenset()) -> list[dict]:
    """`count` rows; the 1-based row numbers in `bad` are invalid."""
    return [bad_row(n) if n in bad else good_row(n) for n in range(1, count + 1)]


def post_batch(client, rows=None, *, key=None, callback_url=None, raw=None, content_type="application/json", query=""):
    headers = {"Idempotency-Key": key} if key else {}
    if raw is None:
        body = {"orders": rows}
        if callback_url:
            body["callback_url"] = callback_url
        raw = json.dumps(body)
    return client.post(f"/api/order-batches{query}", raw, content_type=content_type, headers=headers)


def csv_text(rows: list[dict]) -> str:
    lines = [CSV_HEADER]
    for row in rows:
        c = row["customer"]
        lines.append(",".join(str(v) for v in (row["pizza"], row["size"], row["quantity"], c["name"], c["email"], c["address"])))
    return "\n".join(lines) + "\n"

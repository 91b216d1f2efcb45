"""The one place where a client's key becomes the order's key at the shop.

Every entry (the form, the API; synchronous or asynchronous) hands over the client's own id for its request:
the form's one-time `submission` id, or the API's `Idempotency-Key` header. The order's shop key is a UUIDv5
of a fixed namespace and `<source>:<client key>`, so

- the same request, sent again, reaches the shop under the same key in every mode: after a lost answer in
  the synchronous mode nothing was kept on our side, yet the retry computes the same key and the shop answers
  with the order it already holds (no second pizza);
- a form's id and an API key can never meet on one shop key (the source is part of the name);
- a request without a client key gets a random key: the order is still safe within its own retries.
"""

import uuid
from enum import StrEnum

# Fixed for ever: changing it would give a retry of an older request a new shop key.
SHOP_KEY_NAMESPACE = uuid.UUID("6f1c2b0e-5a43-4c57-9d6a-3b1f0e8c2a71")


class Source(StrEnum):
    FORM = "form"
    API = "api"
    BATCH = "batch"  # bulk orders (key: "<batch id>:<row>"), and the trainer's made-up customers (no key)


def shop_key_for(source: str, client_key: str | None) -> uuid.UUID:
    """The order's idempotency key at the shop, for the client's key of one request (random without one)."""
    if not client_key:
        return uuid.uuid4()
    return uuid.uuid5(SHOP_KEY_NAMESPACE, f"{Source(source)}:{client_key}")

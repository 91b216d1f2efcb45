"""Signed webhooks in the Standard Webhooks format (standardwebhooks.com), the one signer and verifier of the
repo: the shop's callbacks to the app, and the app's notifications to API clients.

    webhook-id: <the message's id: the same on every retry of one message>
    webhook-timestamp: <unix seconds when this try was signed>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>." + body)>

The key: a secret written `whsec_<base64>` is the bytes the base64 stands for (what Standard Webhooks
libraries expect); any other secret is used as its UTF-8 bytes (pass those bytes to a library). The
signature header may carry several space-separated signatures (a key being rotated): one match is enough.

A receiver checks the signature first, then that the timestamp is within the tolerance, and, where it keeps
state, that it has not processed the id before (replay protection: the receiver's own table, e.g.
workflow.models.WebhookDelivery).
"""

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
VERSION = "v1"
MAX_ID_LENGTH = 100  # longer ids are refused before anything is stored


class WebhookRejected(Exception):
    """The request is not a valid signed webhook; `status` is the HTTP answer (401 unsigned or badly signed,
    400 a malformed or stale header)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Verified:
    msg_id: str
    timestamp: int  # unix seconds, when the sender signed it


def secret_key(secret: str | bytes) -> bytes:
    """The HMAC key a secret stands for: `whsec_<base64>` decoded, any other secret's UTF-8 bytes."""
    if isinstance(secret, bytes):
        return secret
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"a secret starting with {SECRET_PREFIX} must continue in base64") from None
    return secret.encode()


def sign(*, msg_id: str, timestamp: int, body: bytes, secret: str | bytes) -> str:
    """The webhook-signature header's value for one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode()}"


def signed_headers(*, msg_id: str, body: bytes, secret: str | bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three headers of one try, signed now (or at `timestamp`)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(msg_id=msg_id, timestamp=timestamp, body=body, secret=secret),
    }


def verify(*, headers: Mapping[str, str], body: bytes, secret: str | bytes, tolerance_s: float, now: float | None = None) -> Verified:
    """Check one webhook's signature and freshness; raises WebhookRejected. `headers` is looked up by the
    lower-case names (Django's request.headers is case-insensitive; pass a dict with lower-case keys otherwise).
    """
    msg_id, timestamp, claimed = (headers.get(name) for name in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not msg_id or not timestamp or not claimed:
        raise WebhookRejected(401, f"{ID_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required")
    if len(msg_id) > MAX_ID_LENGTH or any(ord(c) < 33 or ord(c) > 126 for c in msg_id):
        raise WebhookRejected(400, f"{ID_HEADER} must be at most {MAX_ID_LENGTH} printable ASCII characters")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRejected(400, f"{TIMESTAMP_HEADER} must be whole seconds since the epoch")
    expected = sign(msg_id=msg_id, timestamp=int(timestamp), body=body, secret=secret).encode()
    # compare_digest: the time taken must not tell how much of a guess was right. Compare bytes: a header
    # with other than ASCII characters is simply a wrong signature.
    offered = [candidate.encode("utf-8", "surrogateescape") for candidate in claimed.split(" ") if candidate]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise WebhookRejected(401, "the signature does not match")
    # Checked after the signature, so that a forged request learns nothing about our clock.
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_s:
        raise WebhookRejected(400, f"the signature is older than {tolerance_s:g} s (or from the future)")
    return Verified(msg_id=msg_id, timestamp=int(timestamp))

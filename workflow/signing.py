"""The signature on server-to-server calls, both ways (the shop's callbacks to us, our notifications to API
clients): HMAC-SHA256 over "<timestamp>." followed by the exact body bytes, sent as "sha256=<hex>"."""

import hashlib
import hmac


def signature(body: bytes, *, timestamp: str, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, *, timestamp: str, secret: str, claimed: str) -> bool:
    # compare_digest: the time taken must not tell an attacker how much of a guess was right. It takes
    # str of ASCII only, so compare bytes: a header with other characters is simply a wrong signature.
    expected = signature(body, timestamp=timestamp, secret=secret).encode()
    return hmac.compare_digest(expected, claimed.encode("utf-8", "surrogateescape"))

"""core/webhooks.py: our Standard Webhooks signatures are the format's, as its own library checks them, and
the verifier refuses what is not a fresh, genuine message."""

import json
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from core.webhooks import WebhookRejected, secret_key, sign, signed_headers, verify

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = json.dumps({"id": "abc", "status": "confirmed"}).encode()


def test_the_format_s_own_test_vector():
    # The example of the Standard Webhooks reference implementations (id, timestamp, body, secret, signature).
    signature = sign(msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body=b'{"test": 2432232314}', secret=WHSEC)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("secret, library_secret", [
    (WHSEC, WHSEC),  # whsec_<base64>: the library decodes it as we do
    ("demo-only-webhook-secret-change-me", b"demo-only-webhook-secret-change-me"),  # any other: its bytes
])
def test_the_standardwebhooks_library_verifies_our_signatures(secret, library_secret):
    headers = signed_headers(msg_id="msg_1", body=BODY, secret=secret)
    assert Webhook(library_secret).verify(BODY, headers) == {"id": "abc", "status": "confirmed"}
    with pytest.raises(WebhookVerificationError):
        Webhook(library_secret).verify(BODY.replace(b"confirmed", b"cancelled"), headers)


def test_we_verify_what_the_library_signs():
    from datetime import datetime, timezone

    now = int(time.time())
    signature = Webhook(WHSEC).sign("msg_2", datetime.fromtimestamp(now, tz=timezone.utc), BODY.decode())
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(now), "webhook-signature": signature}
    assert verify(headers=headers, body=BODY, secret=WHSEC, tolerance_s=300).msg_id == "msg_2"


def test_one_matching_signature_among_several_is_enough():
    headers = signed_headers(msg_id="msg_3", body=BODY, secret=WHSEC)
    headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"]
    assert verify(headers=headers, body=BODY, secret=WHSEC, tolerance_s=300).msg_id == "msg_3"


@pytest.mark.parametrize("change, status, message", [
    ({"webhook-signature": None}, 401, "required"),
    ({"webhook-id": None}, 401, "required"),
    ({"webhook-id": "msg_other"}, 401, "does not match"),  # the id is signed: it cannot be swapped
    ({"webhook-timestamp": "yesterday"}, 400, "whole seconds"),
    ({"webhook-signature": "v1,é"}, 401, "does not match"),
    ({"webhook-id": "x" * 101}, 400, "at most 100"),
])
def test_what_is_not_a_genuine_message_is_refused(change, status, message):
    headers = signed_headers(msg_id="msg_4", body=BODY, secret=WHSEC)
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    with pytest.raises(WebhookRejected) as refused:
        verify(headers=headers, body=BODY, secret=WHSEC, tolerance_s=300)
    assert refused.value.status == status and message in str(refused.value)


@pytest.mark.parametrize("age_s", [301, -301])
def test_a_stale_or_future_timestamp_is_refused_even_when_genuine(age_s):
    headers = signed_headers(msg_id="msg_5", body=BODY, secret=WHSEC, timestamp=int(time.time()) - age_s)
    with pytest.raises(WebhookRejected) as refused:
        verify(headers=headers, body=BODY, secret=WHSEC, tolerance_s=300)
    assert refused.value.status == 400 and "older than" in str(refused.value)


def test_a_whsec_secret_that_is_not_base64_is_a_clear_error():
    with pytest.raises(ValueError, match="base64"):
        secret_key("whsec_not base64!")

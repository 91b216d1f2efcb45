"""What a customer reads of a failed call: its cause in words, said once, without the exception's name or
the library's message (those stay on the attempt, for staff)."""

import pytest

from workflow.diagnostics import plain_words
from workflow.shop_client import ShopRejected, ShopUnavailable
from workflow.start import _not_placed

LOST = "the shop's answer was lost: RemoteDisconnected: Remote end closed connection without response"


@pytest.mark.parametrize("error, words", [
    (LOST, "the shop's answer was lost"),
    ("could not reach the shop in time (ConnectTimeout)", "could not reach the shop in time"),
    ("could not reach the shop: ConnectionRefusedError: [Errno 111] Connection refused", "could not reach the shop"),
    ("the shop answered 503: {\"error\": \"down\"}", "the shop answered 503"),
])
def test_an_error_in_plain_words(error, words):
    assert plain_words(error) == words


def test_the_sync_forms_lost_answer_says_so_once_without_the_exception():
    message = str(_not_placed(ShopUnavailable(LOST, may_be_placed=True), retry_is_safe=True))
    assert "RemoteDisconnected" not in message and "Remote end" not in message
    assert message.count("lost") + message.count("never reached") == 1, message
    assert message.startswith("We sent your order, but the pizza shop's answer never reached us: the shop may have it.")


def test_the_sync_forms_refusal_names_the_cause_in_words():
    refused = ShopRejected('the shop refused the order (422): {"errors": {"items": "must be a list"}}', http_status=422)
    message = str(_not_placed(refused, retry_is_safe=False))
    assert message.startswith("The pizza shop did not take your order (the shop refused the order).")
    assert "422" not in message and "errors" not in message

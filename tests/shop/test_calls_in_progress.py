"""The count of calls under way: raised for the length of a call, lowered however the call ends."""

import pytest

from shop.calls_in_progress import CallsInProgress


def test_a_call_counts_while_it_is_handled_and_not_after():
    calls = CallsInProgress()
    with calls.one_more():
        with calls.one_more():
            assert calls.count == 2
        assert calls.count == 1
    assert calls.count == 0


def test_a_call_that_fails_is_no_longer_counted():
    calls = CallsInProgress()
    with pytest.raises(RuntimeError), calls.one_more():
        raise RuntimeError("the handler failed")
    assert calls.count == 0

"""Unit tests of shop/callbacks.py (the signature is core/webhooks.py's, tested in tests/core): the backoff, and when a callback is tried again.

The delivery loop runs here against scripted answers, without HTTP, a database or real waits; the tests
of callback mode against a real shop and a real webhook are in test_callback_mode.py.
"""

import pytest

from shop import callbacks
from shop.callbacks import Callback, backoff_s
from shop.eras import ResetDuringCall
from shop.models import CallbackEvent

SENT, FAILED_TRY, ABANDONED = CallbackEvent.SENT, CallbackEvent.FAILED_TRY, CallbackEvent.ABANDONED


def test_the_backoff_starts_at_half_a_second_doubles_and_stops_at_ten():
    assert [backoff_s(n) for n in range(1, 12)] == [0.5, 1, 2, 4, 8, 10, 10, 10, 10, 10, 10]


class ScriptedDelivery:
    """callbacks._deliver against a webhook that gives these answers (None: no answer at all)."""

    def __init__(self, monkeypatch, answers, *, reset_after_waits: int | None = None):
        self.answers = list(answers)
        self.tries = 0
        self.waits: list[float] = []
        self.events: list[CallbackEvent] = []
        self.reset_after_waits = reset_after_waits
        monkeypatch.setattr(callbacks, "_post", self._post)
        monkeypatch.setattr(callbacks.eras, "wait", self._wait)
        monkeypatch.setattr(callbacks, "_count", lambda event, era: self.events.append(event))

    def run(self) -> "ScriptedDelivery":
        callbacks._deliver(Callback("http://app.test/webhooks/shop", b"{}", "SHOP-1"), callbacks.eras.current)
        return self

    def _post(self, callback):
        self.tries += 1
        return self.answers.pop(0) if self.answers else 200

    def _wait(self, era, seconds):
        self.waits.append(seconds)
        return len(self.waits) != self.reset_after_waits  # False: a reset ended the era during the wait


@pytest.mark.parametrize("answer", [200, 201, 204, 409])
def test_a_2xx_or_a_409_ends_the_deliveries_as_sent(monkeypatch, answer):
    run = ScriptedDelivery(monkeypatch, [answer]).run()
    assert (run.tries, run.events) == (1, [SENT])


@pytest.mark.parametrize("answer", [None, 500, 502, 503, 504, 429])
def test_no_answer_a_5xx_or_a_429_is_tried_again_after_the_backoff(monkeypatch, answer):
    run = ScriptedDelivery(monkeypatch, [answer, answer, 200]).run()
    assert (run.tries, run.events) == (3, [FAILED_TRY, FAILED_TRY, SENT])
    assert run.waits == [0.5, 1.0]


@pytest.mark.parametrize("answer", [400, 401, 403, 404, 410, 422, 301, 302])
def test_any_other_answer_is_a_refusal_that_ends_the_deliveries(monkeypatch, answer):
    run = ScriptedDelivery(monkeypatch, [answer]).run()
    assert (run.tries, run.events) == (1, [FAILED_TRY, ABANDONED])


def test_after_twelve_failed_tries_the_callback_is_abandoned(monkeypatch):
    run = ScriptedDelivery(monkeypatch, [503] * 20).run()
    assert run.tries == 12
    assert run.events == [FAILED_TRY] * 12 + [ABANDONED]
    assert run.waits == [0.5, 1, 2, 4, 8, 10, 10, 10, 10, 10, 10]  # none after the last try


def test_a_reset_during_the_backoff_stops_the_deliveries(monkeypatch):
    run = ScriptedDelivery(monkeypatch, [503] * 20, reset_after_waits=2)
    with pytest.raises(ResetDuringCall):
        run.run()
    assert (run.tries, run.events) == (2, [FAILED_TRY, FAILED_TRY])

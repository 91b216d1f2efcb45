"""The classic scenarios of the seed text, as shop knobs, with what each should show in each mode."""

from dataclasses import dataclass, field

from .shop_control import ShopControl

HEALTHY = {"failure_rate": 0.0, "latency_s": 0.0, "lost_response_rate": 0.0, "down": False, "mode": "sync"}


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    knobs: dict = field(default_factory=dict)
    in_sync: str = ""
    in_async: str = ""

    @property
    def settings(self) -> dict:
        """Every knob, so a scenario never inherits a fault from the one before it."""
        return {**HEALTHY, **self.knobs}


SCENARIOS = {
    scenario.name: scenario
    for scenario in [
        Scenario(
            "happy", "Happy path", {},
            in_sync="Works; the customer waits for the shop's call.",
            in_async="Works; the form completes at once, the confirmation follows.",
        ),
        Scenario(
            "unreliable", "Unreliable shop (20 % of calls fail)", {"failure_rate": 0.2},
            in_sync="About one customer in five sees an error and must decide whether to submit again.",
            in_async="The engine retries; nobody sees an error; the only effect is a short delay.",
        ),
        Scenario(
            "slow", "Slow shop (30 s a call)", {"latency_s": 30.0},
            in_sync="The customer stares at a spinner for 30 s (needs SHOP_TIMEOUT_S above 30).",
            in_async="The form completes at once; the confirmation arrives 30 s later (needs SHOP_TIMEOUT_S above 30).",
        ),
        Scenario(
            "slow-short", "Slow shop, short (5 s a call, for a live room)", {"latency_s": 5.0},
            in_sync="Every customer waits 5 s for the form.",
            in_async="The form completes at once; the confirmation arrives about 5 s later.",
        ),
        Scenario(
            "down", "Shop down", {"down": True},
            in_sync="Every customer sees an error; nothing is kept.",
            in_async="Orders are kept and retried; after the last attempt they fail and the customer is emailed.",
        ),
        Scenario(
            "outage", "Shop outage (down for 60 s, then back by itself)", {"down_for_s": 60.0},
            in_sync="Every customer during the minute sees an error; nothing is kept; they must come back.",
            in_async="Orders are kept; the status page says the shop is not answering and until when we keep "
            "trying; the retries (backoff capped, a window of minutes) outlive the outage and every order is confirmed.",
        ),
        Scenario(
            "lost-responses", "Lost responses (30 % of answers lost)", {"lost_response_rate": 0.3},
            in_sync="The shop makes the pizza, the customer sees an error, submits again: a duplicate.",
            in_async="The retry repeats the idempotency key: the shop answers 'already have it'; no duplicate.",
        ),
        Scenario(
            "callback", "Callback (the shop acknowledges, decides in 3 s, calls back)", {"mode": "callback", "latency_s": 3.0},
            in_sync="The request gets the shop's 202 at once; the order waits for the callback like an asynchronous one.",
            in_async="Acknowledged, then 'waiting for the shop's answer' without holding a worker; the signed callback confirms it.",
        ),
    ]
}


def apply_scenario(name: str, control: ShopControl | None = None) -> dict:
    """Set the shop's knobs for a scenario; returns the knobs in force. KeyError for an unknown name."""
    return (control or ShopControl()).configure(**SCENARIOS[name].settings)

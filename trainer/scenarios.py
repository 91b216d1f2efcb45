"""The classic scenarios of the seed text: the shop's knobs, the engine's policy each needs, and what each
should show in each mode. A scenario with no policy of its own restores the environment's defaults, so
none inherits a short timeout or a small budget from the one before it."""

from dataclasses import dataclass, field

from workflow.engine_policy import EnginePolicy, check_policy, default_policy, set_policy

from .batch import send_made_up_customers
from .catering import send_catering_batch
from .shop_control import ShopControl

HEALTHY = {
    "failure_rate": 0.0, "latency_s": 0.0, "lost_response_rate": 0.0, "down": False, "mode": "sync", "shop_cancel_rate": 0.0,
}


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    knobs: dict = field(default_factory=dict)
    in_sync: str = ""
    in_async: str = ""
    policy: dict = field(default_factory=dict)  # changes to the default policy (workflow.engine_policy)
    customers: int = 0  # made-up customers who order at once when the scenario starts
    batch_rows: int = 0  # a caterer's batch (POST /api/order-batches as CSV) sent when the scenario starts
    bad_every: int = 0  # every n-th row of that batch has a mistake

    @property
    def label(self) -> str:
        """The title without its parenthesis ("Unreliable shop"): the button's first line."""
        return self.title.split(" (", 1)[0]

    @property
    def detail(self) -> str:
        """The parenthesis of the title ("20 % of calls fail"), shown smaller under the label."""
        return self.title.split(" (", 1)[1].rstrip(")") if " (" in self.title else ""

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
            in_sync="The customer stares at a spinner for 30 s.",
            in_async="The form completes at once; the confirmation arrives 30 s later, in one attempt.",
            # Longer than the shop takes: one patient attempt, not three impatient ones.
            policy={"shop_timeout_s": 40.0},
        ),
        Scenario(
            "slow-short", "Slow shop, short (5 s a call, for a live room)", {"latency_s": 5.0},
            in_sync="Every customer waits 5 s for the form.",
            in_async="The form completes at once; the confirmation arrives about 5 s later.",
        ),
        Scenario(
            "down", "Shop down", {"down": True},
            in_sync="Every customer sees an error; nothing is kept.",
            in_async="Orders are kept and tried 4 times, with waits of 1, 2 and 4 s: within about 10 s they fail and the customer is emailed.",
            # A short budget, so the room sees the end within seconds, not after the default 5 minutes.
            policy={"max_attempts": 4, "backoff_s": 1.0, "backoff_cap_s": 4.0, "shop_timeout_s": 5.0},
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
        Scenario(
            "lunch-rush", "Lunch rush (20 customers at once, 5 s a call)", {"latency_s": 5.0},
            in_sync="Each customer waits 5 s, and longer while the others' calls hold the request threads.",
            in_async="Every form completes at once; the queue fills, and each worker confirms one order every 5 s: "
            "with 4 workers the last customer waits about 30 s. More workers, shorter wait; callbacks free the workers.",
            policy={"shop_timeout_s": 10.0},  # comfortably above the shop's 5 s, whatever SHOP_TIMEOUT_S says
            customers=20,
        ),
        Scenario(
            "shop-cancels", "The shop changes its mind (half the accepted orders cancelled 5 s later)",
            {"mode": "callback", "latency_s": 1.0, "shop_cancel_rate": 0.5, "shop_cancel_after_s": 5.0},
            in_sync="Six customers order; each is confirmed, and about half are cancelled by the shop 5 s later: the "
            "signed order.cancelled event turns the order 'cancelled' (\"the shop cancelled it: out of dough\"), the "
            "customer gets one mail, needs-attention lists it for a day.",
            in_async="The same: confirmations first, the shop's cancellations seconds later. Without callbacks "
            "(shop mode sync) the reconciliation sweep finds them within a minute instead.",
            customers=6,
        ),
        Scenario(
            "catering", "Catering (a 500-row batch, 5 bad rows, a flaky shop)", {"failure_rate": 0.2},
            in_sync="The batch never waits for the shop: its rows are placed as background jobs in both modes.",
            in_async="Staged and acknowledged at once (202); the transform places the rows 25 at a time, the engine "
            "retries the shop's failures, the 5 bad rows are reported with their fields, and the batch ends "
            "`done_with_errors` with 495 orders confirmed. A customer ordering meanwhile waits for about one chunk's jobs, not for the batch.",
            batch_rows=500, bad_every=100,
        ),
    ]
}


def apply_scenario(name: str, control: ShopControl | None = None) -> tuple[dict, EnginePolicy]:
    """Set the shop's knobs and the engine's policy for a scenario, and send its customers; returns the
    knobs and the policy in force. KeyError for an unknown name; PolicyRefused (before anything changed)
    if the running cluster cannot take the scenario's policy; ShopControlError if the shop refuses."""
    scenario = SCENARIOS[name]
    check_policy(EnginePolicy(**{**default_policy().as_dict(), **scenario.policy}))
    knobs = (control or ShopControl()).configure(**scenario.settings)
    policy = set_policy(from_defaults=True, **scenario.policy)  # one change: no task sees the defaults alone
    if scenario.customers:
        send_made_up_customers(scenario.customers)
    if scenario.batch_rows:
        send_catering_batch(scenario.batch_rows, bad_every=scenario.bad_every)
    return knobs, policy

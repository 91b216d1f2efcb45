"""How often and how patiently the store-order step tries the shop."""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from core.backoff import jittered_delay_s, nominal_delay_s


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter and a cap, within a fixed budget of attempts.

    The wait after the n-th failed attempt is `base_delay_s * 2**(n-1)`, capped at `max_delay_s`, then
    spread by ±`jitter` so that orders which failed together do not all come back at the same instant.
    """

    max_attempts: int
    base_delay_s: float
    max_delay_s: float
    jitter: float = 0.2
    # How long one call to the shop may take, and how long an acknowledged order waits for the shop's
    # callback; None: the settings' values (SHOP_TIMEOUT_S, SHOP_CALLBACK_DEADLINE_S).
    shop_timeout_s: float | None = None
    callback_deadline_s: float | None = None

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("delays cannot be negative")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    @classmethod
    def from_settings(cls) -> "RetryPolicy":
        """The environment's defaults; the live policy is workflow.engine_policy.current_retry_policy()."""
        return cls(
            max_attempts=settings.STORE_ORDER_MAX_ATTEMPTS,
            base_delay_s=settings.STORE_ORDER_BACKOFF_S,
            max_delay_s=settings.STORE_ORDER_BACKOFF_CAP_S,
        )

    @property
    def call_timeout_s(self) -> float:
        return self.shop_timeout_s if self.shop_timeout_s is not None else settings.SHOP_TIMEOUT_S

    @property
    def wait_for_callback_s(self) -> float:
        return self.callback_deadline_s if self.callback_deadline_s is not None else settings.SHOP_CALLBACK_DEADLINE_S

    def shortest_window_s(self) -> float:
        """How long the retries keep going at the least: every wait at its shortest (jitter at -jitter),
        the attempts themselves taking no time. What an outage may last without failing an order."""
        return sum(
            min(self.nominal_delay_after(n) * (1 - self.jitter), self.max_delay_s) for n in range(1, self.max_attempts)
        )

    def nominal_delay_after(self, failed_attempts: int) -> float:
        """The wait after this many failures, before jitter."""
        return nominal_delay_s(failed_attempts, first_s=self.base_delay_s, cap_s=self.max_delay_s)

    def retrying_until(self, order, *, next_at):
        """When an order waiting for its next attempt at `next_at` runs out of attempts, if every one fails:
        the nominal waits of the attempts after the next one, added up (what the status page promises)."""
        remaining_waits = sum(self.nominal_delay_after(n) for n in range(order.attempts_made + 1, order.attempt_limit))
        return next_at + timedelta(seconds=remaining_waits)

    def delay_after(self, failed_attempts: int, rng: random.Random | None = None) -> float:
        return jittered_delay_s(failed_attempts, first_s=self.base_delay_s, cap_s=self.max_delay_s, jitter=self.jitter, rng=rng)

"""Exponential backoff: the wait after the n-th failed try doubles from a first wait up to a cap, spread by
a jitter so that tries which failed together do not all come back at the same instant. One formula for the
store-order step (workflow.retry_policy), the status mails (orders.mail_delivery), the API's notifications
and the shop simulator's callbacks."""

import random


def nominal_delay_s(failed_tries: int, *, first_s: float, cap_s: float) -> float:
    """The wait after this many failed tries, before jitter: `first_s * 2**(failed_tries - 1)`, at most `cap_s`."""
    if failed_tries < 1:
        raise ValueError("there is no wait before the first try")
    # Cap the exponent too: 2**1000 would overflow a float long before the cap applies.
    return min(first_s * 2 ** min(failed_tries - 1, 60), cap_s)


def jittered_delay_s(failed_tries: int, *, first_s: float, cap_s: float, jitter: float,
                     rng: random.Random | None = None) -> float:
    """The nominal wait spread by ±`jitter` (a share), never below 0 nor above `cap_s`."""
    nominal = nominal_delay_s(failed_tries, first_s=first_s, cap_s=cap_s)
    spread = (rng or random).uniform(-jitter, jitter)
    return min(max(0.0, nominal * (1 + spread)), cap_s)

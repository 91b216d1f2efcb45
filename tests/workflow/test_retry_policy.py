import random

import pytest

from workflow.retry_policy import RetryPolicy


def test_the_wait_doubles_after_each_failure_until_the_cap():
    policy = RetryPolicy(max_attempts=10, base_delay_s=1, max_delay_s=10, jitter=0)
    assert [policy.delay_after(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_jitter_spreads_the_wait_within_its_bounds():
    policy = RetryPolicy(max_attempts=3, base_delay_s=4, max_delay_s=100, jitter=0.25)
    rng = random.Random(7)
    delays = [policy.delay_after(2, rng) for _ in range(500)]
    assert min(delays) >= 6 and max(delays) <= 10  # 8 s ± 25 %
    assert max(delays) - min(delays) > 3  # really spread, not one value


def test_jitter_never_exceeds_the_cap():
    policy = RetryPolicy(max_attempts=3, base_delay_s=10, max_delay_s=10, jitter=0.5)
    rng = random.Random(1)
    assert max(policy.delay_after(5, rng) for _ in range(200)) <= 10


def test_a_huge_attempt_number_does_not_overflow():
    policy = RetryPolicy(max_attempts=3, base_delay_s=1, max_delay_s=300, jitter=0)
    assert policy.delay_after(5000) == 300


def test_there_is_no_wait_before_the_first_attempt():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=3, base_delay_s=1, max_delay_s=10).delay_after(0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0, "base_delay_s": 1, "max_delay_s": 1},
        {"max_attempts": 1, "base_delay_s": -1, "max_delay_s": 1},
        {"max_attempts": 1, "base_delay_s": 1, "max_delay_s": 1, "jitter": 1.5},
    ],
)
def test_a_nonsensical_policy_is_refused(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_the_policy_comes_from_settings(settings):
    settings.STORE_ORDER_MAX_ATTEMPTS = 4
    settings.STORE_ORDER_BACKOFF_S = 1.5
    settings.STORE_ORDER_BACKOFF_CAP_S = 300
    policy = RetryPolicy.from_settings()
    assert policy.max_attempts == 4
    assert policy.nominal_delay_after(2) == 3.0

"""Unit tests of shop/faults.py: the fault draws are random, yet repeatable from a seed."""

import threading

from shop.faults import FaultDice

RATES = {"failure_rate": 0.5, "lost_response_rate": 0.5}


def draws(dice: FaultDice, count: int, seed=None) -> list:
    return [dice.roll(**RATES, seed=seed) for _ in range(count)]


def test_the_same_seed_gives_the_same_faults():
    first, second = FaultDice(), FaultDice()
    first.reseed(7)
    second.reseed(7)
    assert draws(first, 50) == draws(second, 50)


def test_reseeding_starts_the_sequence_again():
    dice = FaultDice()
    dice.reseed(7)
    before = draws(dice, 50)
    dice.reseed(7)
    assert draws(dice, 50) == before


def test_different_seeds_give_different_faults():
    first, second = FaultDice(), FaultDice()
    first.reseed(7)
    second.reseed(8)
    assert draws(first, 50) != draws(second, 50)


def test_the_first_draw_of_a_process_uses_the_stored_seed():
    seeded = FaultDice()
    seeded.reseed(7)
    fresh = FaultDice()
    assert draws(fresh, 50, seed=7) == draws(seeded, 50)


def test_rates_of_zero_never_fire_and_rates_of_one_always_do():
    dice = FaultDice()
    assert not any(
        faults.fail or faults.lose_response
        for faults in (dice.roll(failure_rate=0, lost_response_rate=0, seed=None) for _ in range(1000))
    )
    assert all(
        faults.fail and faults.lose_response
        for faults in (dice.roll(failure_rate=1, lost_response_rate=1, seed=None) for _ in range(1000))
    )


def test_a_rate_fires_about_that_often():
    dice = FaultDice()
    dice.reseed(1)
    failures = sum(dice.roll(failure_rate=0.2, lost_response_rate=0, seed=None).fail for _ in range(5000))
    assert 800 < failures < 1200


def test_one_rate_does_not_shift_the_draws_of_the_other():
    with_failures, without = FaultDice(), FaultDice()
    with_failures.reseed(3)
    without.reseed(3)
    lost_with = [with_failures.roll(failure_rate=0.9, lost_response_rate=0.5, seed=None) for _ in range(50)]
    lost_without = [without.roll(failure_rate=0.0, lost_response_rate=0.5, seed=None) for _ in range(50)]
    assert [faults.lose_response for faults in lost_with] == [faults.lose_response for faults in lost_without]


def test_concurrent_draws_are_each_a_whole_draw():
    # Under the lock, threads share one sequence without tearing it: together they draw exactly the
    # pairs one thread would have drawn, in some order.
    sequential = FaultDice()
    sequential.reseed(11)
    expected = sorted((f.fail, f.lose_response) for f in draws(sequential, 800))
    shared = FaultDice()
    shared.reseed(11)
    results, results_lock = [], threading.Lock()

    def draw_many():
        mine = draws(shared, 100)
        with results_lock:
            results.extend(mine)

    threads = [threading.Thread(target=draw_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted((f.fail, f.lose_response) for f in results) == expected

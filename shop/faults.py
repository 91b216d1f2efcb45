"""Draws the faults of each call to POST /orders from one random generator per shop process.

A seeded generator makes a run repeatable: the same seed and the same sequence of calls give the same
sequence of faults. Every call draws both of its numbers, whatever the rates, so that changing one rate
does not shift the draws of the other.
"""

import random
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Faults:
    """What the draw decided for one call."""

    fail: bool  # answer 503 and place nothing
    lose_response: bool  # accept, then cut the connection instead of answering


class SharedRandom:
    """A random generator shared by all request threads of the process, seeded from the stored seed on its
    first draw, and restarted by reseed()."""

    def __init__(self):
        # Request threads draw concurrently; random.Random is not meant to be shared without a lock.
        self._lock = threading.Lock()
        self._random: random.Random | None = None

    def reseed(self, seed: int | None) -> None:
        """Start the draws afresh: from `seed`, or unrepeatably when it is None."""
        with self._lock:
            self._random = random.Random(seed)

    def _draw(self, count: int, seed: int | None) -> list[float]:
        """`count` numbers in [0, 1), taken together. `seed` is the stored one, used only by the first draw."""
        with self._lock:
            if self._random is None:
                self._random = random.Random(seed)
            return [self._random.random() for _ in range(count)]


class FaultDice(SharedRandom):
    """The shop's fault draws."""

    def roll(self, *, failure_rate: float, lost_response_rate: float, seed: int | None) -> Faults:
        """Draw one call's faults."""
        fail_draw, lose_draw = self._draw(2, seed)
        # random() is in [0, 1): a rate of 0 never fires and a rate of 1 always does.
        return Faults(fail=fail_draw < failure_rate, lose_response=lose_draw < lost_response_rate)


dice = FaultDice()


class RateDice(SharedRandom):
    """One draw per event against one rate, from a generator of its own: a knob added later draws here, so
    the fault draws of a seeded run stay what they were."""

    def draw(self, rate: float, *, seed: int | None) -> bool:
        return self._draw(1, seed)[0] < rate

from django.db import models
from django.utils import timezone

from core.singleton import SingletonModel


class TrainingSession(SingletonModel):
    """When the trainer last pressed "Start a new session". The figures and the diagram's counts cover the
    orders placed since then, and every order still on its way whenever it was placed: each demonstration
    starts at zero, and no order is deleted. One row."""

    started_at = models.DateTimeField(null=True, blank=True)
    # The shop's counters (GET /stats) at that moment, subtracted from what it says later.
    shop_baseline = models.JSONField(default=dict, blank=True)

    def restart(self, shop_stats: dict | None) -> None:
        self.started_at = timezone.now()
        self.shop_baseline = shop_stats or {}
        self.save()

    def shop_since_start(self, shop_stats: dict) -> dict:
        """The shop's counters since the session started. Duplicates are not reset: one is a fault, whenever."""
        return {
            key: value - self.shop_baseline.get(key, 0)
            if isinstance(value, int) and not isinstance(value, bool) and key != "duplicate_references" else value
            for key, value in shop_stats.items()
        }

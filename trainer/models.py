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


class Trainer(models.Model):
    """No table: the holder of the permission to run the trainer (store mode, scenarios, the shop's knobs, the
    live policy, batches of made-up customers), which production staff need not have. `manage.py prepare`
    gives it to the group "Trainers" (trainer.access); superusers have it."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("run_trainer", "Can run the trainer")]

from django.db import models


class Trainer(models.Model):
    """No table: the holder of the permission to run the trainer (store mode, scenarios, the shop's knobs, the
    live policy, batches of made-up customers), which production staff need not have. `manage.py prepare`
    gives it to the group "Trainers" (trainer.access); superusers have it."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("run_trainer", "Can run the trainer")]

"""A table of one row: settings and state that every process reads from the database (web and workers
agree without a restart)."""

from django.db import models


class SingletonModel(models.Model):
    """Always row 1; `load()` reads it, creating it with the defaults the first time."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        row, _ = cls.objects.get_or_create(pk=1)
        return row

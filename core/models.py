from django.db import models


class RateCount(models.Model):
    """How many requests one client made in one window of a rate limit (core.rate_limit), for setups whose
    cache cannot count atomically (the database cache). Rows of ended windows are deleted as new ones start."""

    bucket = models.CharField(max_length=120, primary_key=True)  # limit, window and hashed client address
    count = models.PositiveIntegerField()
    expires_at = models.FloatField(db_index=True)  # Unix time at which the window has ended

    def __str__(self):
        return f"{self.bucket}: {self.count}"

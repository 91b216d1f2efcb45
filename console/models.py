from django.db import models


class Metrics(models.Model):
    """No table: the holder of the permission to read /metrics in a session (being staff is not enough; a
    scraper sends METRICS_TOKEN instead). Superusers have it; an admin grants it to others."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_metrics", "Can read the metrics")]

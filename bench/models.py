from django.db import models


class BareRow(models.Model):
    """What the bare view inserts: one row, the least an order form could write."""

    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=100)

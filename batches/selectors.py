"""Reads for the batch pages and the API."""

import uuid

from .models import OrderBatch


def find_batch(public_id) -> OrderBatch | None:
    """The batch with this public id; None if the id is unknown or malformed."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return OrderBatch.objects.filter(public_id=public_id).first()

"""Bulk orders (POST /api/order-batches, the batches app)."""

from .env import env_int

# The largest batch taken, in rows and in bytes of body (each refused with a 413 naming the limit), and how
# many rows one transform task places before it queues the next one (a short task, so a batch never holds a
# worker for long, and single orders queued meanwhile go first).
BATCH_MAX_ROWS = env_int("BATCH_MAX_ROWS", 10_000, minimum=1)
BATCH_MAX_BYTES = env_int("BATCH_MAX_BYTES", 5_000_000, minimum=1)
BATCH_CHUNK_ROWS = env_int("BATCH_CHUNK_ROWS", 25, minimum=1)

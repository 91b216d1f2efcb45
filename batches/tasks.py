"""The django-q2 tasks of bulk orders: thin wrappers around batches.transform.

Each wrapper imports its function when it runs: batches.transform queues these very tasks (batches.queue
names them by importing them), so a top-level import here would be a cycle.
"""


def place_chunk_task(batch_id: int, chunk: int) -> str:
    from .transform import place_chunk

    return place_chunk(batch_id, chunk)


def finish_batch_task(batch_id: int) -> str:
    from .transform import finish_if_final

    batch = finish_if_final(batch_id)
    return f"finished: {batch.status}" if batch else "not final yet (or finished before)"


def requeue_stalled_batches_task() -> str:
    from .transform import requeue_stalled_batches

    return f"requeued {requeue_stalled_batches()} batch job(s)"

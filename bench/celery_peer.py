"""The peer: what a Django team would otherwise pick. The same store step (and the same mails) as Celery
tasks on Redis, queued with transaction.on_commit, run by `celery -A bench.celery_peer worker`.
Celery comes from bench/requirements.txt only."""

import importlib

from celery import Celery
from django.db import transaction

app = Celery("asyncpizza_bench")


def configure():
    """Called by the bench app's ready(), in the web process and in the Celery worker alike."""
    from django.conf import settings

    app.conf.update(
        broker_url=settings.REDIS_URL,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,  # like django-q2's queue_limit of one task waiting per worker
        task_acks_late=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )


@app.task(name="bench.run_job")
def run_job(func: str, *args, **kwargs):
    """Run the django-q2 task function `func` (dotted path) with `args`: the same code, another queue."""
    module, name = func.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)(*args, **kwargs)


def enqueue_with_celery(func, *args, group: str, name: str, timeout: int | None = None, **kwargs) -> None:
    """core.queue.enqueue's contract, on Celery: sent once the transaction has committed."""
    from core.queue import task_path

    path = task_path(func)
    transaction.on_commit(lambda: run_job.apply_async(args=(path, *args), kwargs=kwargs, time_limit=timeout), robust=True)


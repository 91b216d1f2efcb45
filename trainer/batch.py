"""The trainer's made-up customers, sent as one batch (the page's form and the lunch-rush scenario)."""

import secrets

from core.queue import enqueue

from .tasks import place_made_up_order_task

BATCH_GROUP = "trainer batch"


def send_made_up_customers(count: int) -> None:
    """One django-q2 task per customer (trainer.tasks): in sync mode an order takes as long as the shop,
    which must hold a worker, never the trainer's page."""
    first = secrets.randbelow(900_000) + 100_000  # made-up customers' numbers, distinct enough for a room
    for number in range(first, first + count):
        enqueue(place_made_up_order_task, number, group=BATCH_GROUP, name=f"made-up customer {number}")

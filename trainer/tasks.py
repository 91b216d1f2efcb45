"""The trainer's batch: one django-q2 task per made-up customer, so a synchronous order (which may take
as long as the shop) never holds a worker past its timeout and never holds up the trainer's page."""

from orders.models import Pizza
from orders.process import OrderNotPlaced
from workflow.idempotency import Source
from workflow.start import submit_order

from .simulation import made_up_customer


def place_made_up_order_task(number: int) -> str:
    fields = made_up_customer(number)
    fields["pizza"] = Pizza.objects.get(slug=fields["pizza"])
    try:
        order = submit_order(source=Source.BATCH, **fields).order
    except OrderNotPlaced as error:
        return f"customer {number} saw an error: {error}"  # recorded as a wait with an error; not retried
    return f"customer {number}: order {order.short_id}"

"""What the domain announces. `order_finalised` is sent inside the transaction that gave an order its final
status (confirmed, failed or cancelled; confirmed again when a cancellation came too late), by whatever made it
final (the workflow). Receivers queue their own jobs in that transaction, so the job and the status commit
together or not at all:

- `workflow.mail.queue_status_email` (the confirmation or failure mail), connected in WorkflowConfig.ready();
- `api.notifications.queue_notification` (the signed POST to the order's callback_url), in ApiConfig.ready().

Arguments: `sender` = Order, `order` = the order, already in its final status.
"""

from django.dispatch import Signal

order_finalised = Signal()

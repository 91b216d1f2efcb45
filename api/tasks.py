"""The django-q2 tasks of the API: thin wrappers around api.notifications."""

from .notifications import deliver_callback, notify_callback
from .recovery import requeue_stalled_notifications


def notify_callback_task(order_id: int) -> str:
    """Queued by workflow.jobs.enqueue_final_jobs when an order with a callback_url reaches a final status."""
    return _describe(notify_callback(order_id))


def deliver_callback_task(delivery_id: int) -> str:
    """A scheduled retry of a notification."""
    return _describe(deliver_callback(delivery_id))


def _describe(delivery) -> str:
    if delivery is None:
        return "nothing to send"
    return f"try {delivery.tries} of {delivery.max_tries}: {delivery.get_state_display().lower()}"


def requeue_stalled_notifications_task() -> str:
    return f"requeued {requeue_stalled_notifications()} notification(s)"

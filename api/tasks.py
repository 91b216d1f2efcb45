"""The django-q2 tasks of the API: thin wrappers around api.notifications and api.recovery.

Each wrapper imports its function when it runs: those modules queue these very tasks (naming them by
importing them, see core.queue.task_path), so a top-level import here would be a cycle.
"""


def notify_callback_task(order_id: int) -> str:
    """Queued by api.notifications.queue_notification when an order with a callback_url becomes final."""
    from .notifications import notify_callback

    return _describe(notify_callback(order_id))


def deliver_callback_task(delivery_id: int) -> str:
    """A scheduled retry of a notification."""
    from .notifications import deliver_callback

    return _describe(deliver_callback(delivery_id))


def _describe(delivery) -> str:
    if delivery is None:
        return "nothing to send"
    return f"try {delivery.tries} of {delivery.max_tries}: {delivery.get_state_display().lower()}"


def requeue_stalled_notifications_task() -> str:
    from .recovery import requeue_stalled_notifications

    return f"requeued {requeue_stalled_notifications()} notification(s)"

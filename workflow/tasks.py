"""The paths tasks had before each step owned its own (workflow/<step>.py): django-q2 stores a task's dotted
path in its queue and schedules, so jobs queued by the previous release still find their function. Nothing
queues by these names any more (core.queue.task_path names each task after its own module); once no queue
or schedule holds a `workflow.tasks.` path, this module can go."""

from .attempt import store_order_task
from .callbacks import check_callback_deadline_task
from .cancellation import cancel_at_shop_task
from .mail import send_status_email_task
from .reconciliation import cancel_orphan_task, reconcile_with_shop_task
from .recovery import requeue_stalled_orders_task

__all__ = [
    "cancel_at_shop_task", "cancel_orphan_task", "check_callback_deadline_task", "reconcile_with_shop_task",
    "requeue_stalled_orders_task", "send_status_email_task", "store_order_task",
]

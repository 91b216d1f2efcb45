"""The dotted paths django-q2 stores for each task, derived from the task functions as the app does."""

from api.tasks import deliver_callback_task, notify_callback_task
from workflow.jobs import task_path
from workflow.tasks import (
    cancel_at_shop_task, cancel_orphan_task, check_callback_deadline_task, send_status_email_task, store_order_task,
)

STORE_ORDER_TASK = task_path(store_order_task)
SEND_STATUS_EMAIL_TASK = task_path(send_status_email_task)
CALLBACK_DEADLINE_TASK = task_path(check_callback_deadline_task)
NOTIFY_CALLBACK_TASK = task_path(notify_callback_task)
DELIVER_CALLBACK_TASK = task_path(deliver_callback_task)
COMPENSATION_TASK = task_path(cancel_at_shop_task)
ORPHAN_TASK = task_path(cancel_orphan_task)

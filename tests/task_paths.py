"""The dotted paths django-q2 stores for each task, derived from the task functions as the app does."""

from api.tasks import deliver_callback_task, notify_callback_task
from core.queue import task_path
from workflow.attempt import store_order_task
from workflow.callbacks import check_callback_deadline_task
from workflow.cancellation import cancel_at_shop_task
from workflow.mail import send_status_email_task
from workflow.reconciliation import cancel_orphan_task

STORE_ORDER_TASK = task_path(store_order_task)
SEND_STATUS_EMAIL_TASK = task_path(send_status_email_task)
CALLBACK_DEADLINE_TASK = task_path(check_callback_deadline_task)
NOTIFY_CALLBACK_TASK = task_path(notify_callback_task)
DELIVER_CALLBACK_TASK = task_path(deliver_callback_task)
COMPENSATION_TASK = task_path(cancel_at_shop_task)
ORPHAN_TASK = task_path(cancel_orphan_task)

"""The safety net for notifications to API clients, as workflow/recovery.py is for orders.

A notification job can be lost outside our transactions (a Redis push after commit that never happened, a
task django-q2 gave up on, a worker lost mid-try). Every minute, this queues again the notifications that
should be under way and are not. A repeat is harmless: deliver_callback claims each try first.
"""

from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from orders.models import FINAL_STATUSES, Order
from core.timeouts import stale_after
from core.queue import enqueue, enqueue_task, ensure_every_minute
from workflow.recovery import GRACE

from .models import CallbackDelivery, DeliveryState
from .tasks import deliver_callback_task, notify_callback_task, requeue_stalled_notifications_task

SCHEDULE_NAME = "requeue stalled notifications"


def ensure_notification_sweep():
    """The every-minute sweep below (prepare creates it; creating it again changes nothing)."""
    return ensure_every_minute(SCHEDULE_NAME, requeue_stalled_notifications_task)


def requeue_stalled_notifications(now=None) -> int:
    now = now or timezone.now()
    count = 0
    # Final orders that should have announced themselves and have no delivery for that status yet.
    never_started = (
        Order.objects.filter(status__in=FINAL_STATUSES, updated_at__lt=now - GRACE)
        .exclude(callback_url="")
        .exclude(callback_deliveries__status=F("status"))
    )
    for order in never_started:
        enqueue_task(notify_callback_task, order)
        count += 1
    # Deliveries whose next try is long overdue, or whose try's worker is gone.
    overdue = CallbackDelivery.objects.filter(state=DeliveryState.PENDING).filter(
        Q(next_try_at__lt=now - GRACE) | Q(trying_since__lt=now - stale_after() - timedelta(seconds=1))
    )
    for delivery in overdue.select_related("order"):
        enqueue(deliver_callback_task, delivery.pk, group=delivery.task_group, name=f"notify {delivery.about}")
        count += 1
    return count

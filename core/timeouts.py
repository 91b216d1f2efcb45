"""How long a django-q2 task may run, and so when a claim on work is older than any live task: one formula
for the settings (the cluster's global timeout) and for the live policy (each store-order task's own)."""

import math
from datetime import timedelta

# requests' connect timeout: a little over a multiple of 3 s, TCP's retransmission window.
CONNECT_TIMEOUT_CAP_S = 3.05


def task_timeout_s(shop_timeout_s: float, *, margin_s: float, connect_timeout_s: float = CONNECT_TIMEOUT_CAP_S) -> int:
    """django-q2's timeout for a task whose calls to the shop wait up to `shop_timeout_s`: two calls (the
    attempt, and on the last one a look-up), each a connect and a read, plus the margin for database writes."""
    connect = min(connect_timeout_s, shop_timeout_s)
    return math.ceil(2 * (connect + shop_timeout_s) + margin_s)


def stale_after(task_timeout_s: int | None = None) -> timedelta:
    """Work claimed longer ago than this has no live worker: django-q2 kills a task at its timeout. The task's
    own timeout when it was recorded (a store-order attempt's), else the cluster's global one."""
    from django.conf import settings

    return timedelta(seconds=task_timeout_s or settings.Q_TASK_TIMEOUT_S)

"""django-q2: the task timeout and retry, the broker (the app's database or Redis), the shared cache, workers."""

import math

from core.timeouts import task_timeout_s

from .env import env_float, env_int, env_str
from .shop import SHOP_CONNECT_TIMEOUT_S, SHOP_TIMEOUT_MAX_S

# A store-order task makes at most two calls to the shop (the attempt, and on the last attempt a look-up
# of what the shop holds), each one connect plus one read timeout, and a few short database writes (backoff
# between attempts is a scheduled task, not a sleep). Each store-order task carries its own `timeout`,
# derived from the live policy's shop timeout (workflow.engine_policy.task_timeout_s); this global one, for
# every other task, is the one for the largest shop timeout accepted. `retry` re-delivers an unacknowledged
# task (a killed worker's), counting from when the cluster pulled it: with at most one task waiting per
# worker (queue_limit below), a pulled task starts within one `timeout` and ends within two. `retry` is one
# value for the whole cluster, fixed at its start, so it stays above that for the largest shop timeout the
# policy accepts, or a slow but live task would be handed out twice. The connect timeout is the one the
# client uses (at most 3.05 s, at most SHOP_TIMEOUT_S), as in each task's own timeout.
Q_TASK_MARGIN_S = env_float("Q_TASK_MARGIN_S", 30, minimum=1)
Q_TASK_TIMEOUT_S = task_timeout_s(SHOP_TIMEOUT_MAX_S, margin_s=Q_TASK_MARGIN_S, connect_timeout_s=SHOP_CONNECT_TIMEOUT_S)
Q_TASK_RETRY_S = 2 * Q_TASK_TIMEOUT_S + math.ceil(env_float("Q_RETRY_MARGIN_S", 30, minimum=1))
# django-q2's own scheduler looks for due schedules every 30 s; our qcluster runs it as a schedule comes due
# (core/schedule_clock.py) and looks at least this often: the safety net for a lost wake-up.
Q_SCHEDULER_TICK_S = env_float("Q_SCHEDULER_TICK_S", 0.5, minimum=0.1)
REDIS_URL = env_str("REDIS_URL", "")
# The queue probe (workflow.queue_probe): the qcluster parent sends a tiny task through the broker at most
# every QUEUE_PROBE_INTERVAL_S; one taken from the broker but not back after QUEUE_PROBE_LOST_AFTER_S is
# presumed lost with a dead process and replaced. The health panel says the queue is stuck when no probe has
# come back for QUEUE_PROBE_STALE_S (a healthy queue answers within the interval plus a poll).
QUEUE_PROBE_INTERVAL_S = env_float("QUEUE_PROBE_INTERVAL_S", 2, minimum=0.1)
QUEUE_PROBE_LOST_AFTER_S = env_float("QUEUE_PROBE_LOST_AFTER_S", 20, minimum=1)
QUEUE_PROBE_STALE_S = env_float("QUEUE_PROBE_STALE_S", 15, minimum=1)

# A cache every process shares: django-q2 keeps its cluster status (`Stat`: clusters, workers, heartbeats)
# there, read by the console's health panel, and the order rate limit counts there. With the default
# local-memory cache each process would see only itself. Redis when there is one; otherwise a table in the
# app's database, made by `prepare` (createcachetable).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Room for many clients' counters: past MAX_ENTRIES the table drops a third of them (and their counts).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "asyncpizza_cache",
                          "OPTIONS": {"MAX_ENTRIES": 50_000}}}

# 4 workers, from a measurement (bench/capacity.py, docs/TRAINING.md "Capacity"): a worker spends its
# store-order task waiting for the shop, so confirmations per second grow with the workers (20 orders, a
# 5 s shop: 0.37 orders/s with 2, 0.69 with 4, and still 0.69 with 8 on 2 cores and SQLite's one writer),
# at about 18 MiB (PSS) a worker. 4 halves the lunch rush's last confirmation (52 s to 27 s) and still
# shows a queue; 8 gains nothing more here.
Q_WORKERS = env_int("Q_WORKERS", 4, minimum=1)
# Seconds between two looks at the ORM broker's queue when no wake-up came (django-q2's `poll`).
Q_POLL_S = env_float("Q_POLL_S", 0.2, minimum=0.01)
# Successful task records kept for the admin (django-q2's Success); older ones are deleted every minute by
# core.queue.prune_task_history, scheduled by `prepare`. Failed ones stay until someone deletes them.
Q_TASK_HISTORY = env_int("Q_TASK_HISTORY", 5000, minimum=1)

Q_CLUSTER = {
    "name": "asyncpizza",
    "workers": Q_WORKERS,
    "timeout": Q_TASK_TIMEOUT_S,
    "retry": Q_TASK_RETRY_S,
    # A task that raised is not acknowledged, so the broker hands it out again after `retry`; after this
    # many tries django-q2 gives up on it (the stalled-order sweep still looks after the order).
    "ack_failures": False,
    "max_attempts": 5,
    "bulk": 1,
    "queue_limit": Q_WORKERS,  # one task waiting per worker: see Q_TASK_RETRY_S
    # With the ORM broker a committed job wakes the cluster (core/broker.py WakingORM); the poll is the safety
    # net for a lost wake-up.
    "poll": Q_POLL_S,
    "catch_up": False,
    # 0: django-q2 keeps every result and prunes nothing itself. Its own pruning (save_limit > 0) reads every
    # successful task's row, arguments and result included, each time it saves one: about 85 ms of the
    # cluster's CPU per task once a few thousand are kept, which capped callback mode's throughput. The
    # history is pruned once a minute instead (Q_TASK_HISTORY).
    "save_limit": 0,
    "label": "Tasks (django-q2)",
    "cache": "default",  # where the cluster's status goes: the shared cache above
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    # The ORM broker keeps queued jobs in the app's own database, which is what lets an order and the job
    # that will store it commit in one transaction. Our subclass wakes the cluster when a job commits.
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "core.broker.WakingORM"

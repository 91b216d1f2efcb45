"""The benchmark stack's settings: the project's own, plus the `bench` app, whose bare view (one row
inserted, through the same middleware) is the floor the order form is measured against. Production never
loads this module, so the bare view is in no production URL."""

from asyncpizza.settings import *  # noqa: F403
from asyncpizza.settings import INSTALLED_APPS
from asyncpizza.settings.env import env_bool, env_str

INSTALLED_APPS = [*INSTALLED_APPS, "bench.apps.BenchConfig"]
ROOT_URLCONF = "bench.urls"
# "celery": the store step and the mails run as Celery tasks on Redis, enqueued with transaction.on_commit
# (the peer, see bench/celery_peer.py); "django-q2" (default): the project as it is.
BENCH_QUEUE = env_str("BENCH_QUEUE", "django-q2")
# bench.form_rush: where each web process writes its per-request figures (bench/request_trace.py); empty: off.
BENCH_TRACE_DIR = env_str("BENCH_TRACE_DIR", "")
BENCH_TRACE_CPROFILE = env_bool("BENCH_TRACE_CPROFILE", False)
if BENCH_TRACE_DIR:
    from asyncpizza.settings import MIDDLEWARE

    MIDDLEWARE = ["bench.request_trace.RequestTraceMiddleware", *MIDDLEWARE]

"""Async Pizza's settings: every value that differs between demo, tests and production comes from the
environment (see ../shared/README.md, "Environment"), with defaults that run the demo on one machine."""

import math
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("ASYNCPIZZA_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "demo-only-secret-key-change-me-in-production-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    # The operations console first, so its admin/base_site.html (the console's stylesheet on every admin
    # page) is found before the admin's own; then the admin, with the console's AdminSite (console/sites.py).
    "console",
    "console.apps.OperationsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # asyncpizza comes before staticfiles so that its runserver (staticfiles' own, plus TCP_NODELAY) wins.
    "asyncpizza",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",  # django-axes: locks out repeated failed logins (see "Login throttling" below)
    # workflow comes before django_q so that its qcluster command (which adds a fast scheduler tick) wins.
    "workflow",
    "orders",
    "trainer",
    "api",
    "ninja",  # django-ninja, listed so that its Swagger UI is served from our /static/, never from a CDN
    "shop",
    "django_q",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ from the web process itself under gunicorn (the production profile), compressed and,
    # with DJANGO_STATIC_MANIFEST, with hashed names cached for a year.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "asyncpizza.urls"
WSGI_APPLICATION = "asyncpizza.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# Seconds a web thread or worker keeps its database connection (0: a new one per request). PostgreSQL starts a
# process per connection, so the production profile keeps them (see docs/PERFORMANCE.md).
DATABASE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)


def _database(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=DATABASE_CONN_MAX_AGE, conn_health_checks=DATABASE_CONN_MAX_AGE > 0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Web, workers and shop write to SQLite from several processes: WAL lets readers go on while one
        # writes, IMMEDIATE takes the write lock at BEGIN (no lock-upgrade deadlocks), and the timeout makes
        # a writer wait for its turn instead of failing with "database is locked".
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    return config


DATABASES = {
    "default": _database(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'app.sqlite3'}")),
    # The shop simulator is a separate system with its own database; the router keeps its models there.
    "shop": _database(env_str("SHOP_DATABASE_URL", f"sqlite:///{VAR_DIR / 'shop.sqlite3'}")),
}
DATABASE_ROUTERS = ["shop.routers.ShopRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production (`make serve`, after collectstatic): hashed, compressed names whitenoise may cache forever.
    # The demo, the tests and the benchmarks' runserver serve the files as they are, with no collectstatic.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("DJANGO_STATIC_MANIFEST", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "admin:login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Mail -------------------------------------------------------------------------------------------
# The demo keeps every mail as an .eml file under var/mail/, shown on the staff page /mailbox/; tests and
# production point EMAIL_BACKEND/EMAIL_HOST/EMAIL_PORT at a real SMTP server.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "orders.mailbox.DemoMailboxBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Async Pizza <orders@asyncpizza.example>")
# A status mail the server refuses for now (4xx, connection refused) is tried again after MAIL_RETRY_BACKOFF_S,
# doubling up to MAIL_RETRY_BACKOFF_CAP_S, MAIL_MAX_TRIES times in all; then it is marked undeliverable.
MAIL_MAX_TRIES = env_int("MAIL_MAX_TRIES", 8, minimum=1)
MAIL_RETRY_BACKOFF_S = env_float("MAIL_RETRY_BACKOFF_S", 30, minimum=0)
MAIL_RETRY_BACKOFF_CAP_S = env_float("MAIL_RETRY_BACKOFF_CAP_S", 1800, minimum=0)
# Links in mails need an absolute address; the web process knows no request when a worker sends mail.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- The store-order step ---------------------------------------------------------------------------
SHOP_URL = env_str("SHOP_URL", "http://127.0.0.1:8001").rstrip("/")
SHOP_TIMEOUT_S = env_float("SHOP_TIMEOUT_S", 10, minimum=0.1)
SHOP_CONNECT_TIMEOUT_S = min(3.05, SHOP_TIMEOUT_S)
# The bearer token of the shop simulator's control endpoints (PUT /settings, POST /reset, the ledger's
# details): the shop requires it, the trainer and its commands send it. Unset, they are closed to all;
# `manage.py demo` makes a random one for its three processes.
SHOP_CONTROL_TOKEN = env_str("SHOP_CONTROL_TOKEN", "")
# The defaults of the engine's policy; the live policy (workflow.engine_policy, `manage.py policy`, the
# trainer page) starts from these and may change them without a restart. 13 attempts with waits of
# 1, 2, 4, 8, 16, 32, then 60 s (±20 % jitter) keep trying for at least 338 s (every wait at its shortest)
# and 423 s nominally: an outage of up to five minutes costs no order (docs/ARCHITECTURE.md, "The default retry window").
STORE_ORDER_MAX_ATTEMPTS = env_int("STORE_ORDER_MAX_ATTEMPTS", 13, minimum=1)
STORE_ORDER_BACKOFF_S = env_float("STORE_ORDER_BACKOFF_S", 1, minimum=0)
STORE_ORDER_BACKOFF_CAP_S = env_float("STORE_ORDER_BACKOFF_CAP_S", 60, minimum=0)
# The largest shop timeout the live policy accepts. django-q2's `retry` is fixed when the cluster starts
# (PITFALLS.md), so it is sized for this value (see Q_TASK_RETRY_S); a policy asking for more is refused.
SHOP_TIMEOUT_MAX_S = env_float("SHOP_TIMEOUT_MAX_S", max(60.0, SHOP_TIMEOUT_S), minimum=SHOP_TIMEOUT_S)

# --- Callbacks, both ways ---------------------------------------------------------------------------
# The shop signs its callbacks with this secret (HMAC-SHA256 over "<timestamp>.<body>"); the app checks it.
SHOP_WEBHOOK_SECRET = env_str("SHOP_WEBHOOK_SECRET", "demo-only-webhook-secret-change-me")
# Where the shop calls the app back, sent with every order in callback mode.
SHOP_CALLBACK_URL = env_str("SHOP_CALLBACK_URL", f"{SITE_URL}/webhooks/shop")
# How long an acknowledged order waits for the shop's callback before the app asks the shop itself.
SHOP_CALLBACK_DEADLINE_S = env_float("SHOP_CALLBACK_DEADLINE_S", 60, minimum=1)
# A signed request older (or newer) than this is refused: it is a replay, or a clock far off.
WEBHOOK_TOLERANCE_S = env_int("WEBHOOK_TOLERANCE_S", 300, minimum=1)
# Our own notifications to API clients' callback_url are signed with this secret.
# API clients' callback_url must lead to a public address, in the demo too: anything else would let anyone
# make the app call its own network (the shop's /reset on loopback). An operator opts in explicitly, for
# named hosts (API_CALLBACK_ALLOWED_HOSTS=127.0.0.1 for a local receiver) or for all (the flag).
API_CALLBACK_ALLOW_PRIVATE = env_bool("API_CALLBACK_ALLOW_PRIVATE", False)
API_CALLBACK_ALLOWED_HOSTS = env_list("API_CALLBACK_ALLOWED_HOSTS", [])
API_CALLBACK_SECRET = env_str("API_CALLBACK_SECRET", "demo-only-api-callback-secret-change-me")
# Delivering those notifications: the HTTP timeout of one try (one try is one task: keep it well under
# Q_TASK_TIMEOUT_S), how many tries, and the backoff between them (first wait, doubling after each failure,
# ±20 % jitter, capped); a waiting retry holds no worker.
API_CALLBACK_TIMEOUT_S = env_float("API_CALLBACK_TIMEOUT_S", 5, minimum=0.1)
API_CALLBACK_MAX_TRIES = env_int("API_CALLBACK_MAX_TRIES", 8, minimum=1)
API_CALLBACK_BACKOFF_S = env_float("API_CALLBACK_BACKOFF_S", 1, minimum=0)
API_CALLBACK_BACKOFF_CAP_S = env_float("API_CALLBACK_BACKOFF_CAP_S", 300, minimum=0)

# The demo's secrets are public (they are in this file): outside the demo, refuse to start with them, and
# refuse the demo admin's public password (asyncpizza.checks, `prepare --demo-admin`). A local benchmark on
# loopback with DJANGO_DEBUG off says DJANGO_ALLOW_DEMO_SECRETS=true.
ALLOW_DEMO_SECRETS = env_bool("DJANGO_ALLOW_DEMO_SECRETS", DEBUG)
if not ALLOW_DEMO_SECRETS:
    _demo_secrets = [
        name
        for name, value in {
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "SHOP_WEBHOOK_SECRET": SHOP_WEBHOOK_SECRET,
            "API_CALLBACK_SECRET": API_CALLBACK_SECRET,
        }.items()
        if value.startswith("demo-only")
    ]
    if _demo_secrets:
        raise ImproperlyConfigured(
            f"DJANGO_DEBUG is off but {', '.join(_demo_secrets)} still have the demo's public values: set them "
            "in the environment (or DJANGO_ALLOW_DEMO_SECRETS=true for a local benchmark)."
        )

# --- django-q2 --------------------------------------------------------------------------------------
# A store-order task makes at most two calls to the shop (the attempt, and on the last attempt a look-up
# of what the shop holds), each one connect plus one read timeout, and a few short database writes (backoff
# between attempts is a scheduled task, not a sleep). Each store-order task carries its own `timeout`,
# derived from the live policy's shop timeout (workflow.engine_policy.task_timeout_s); this global one, for
# every other task, is the one for the largest shop timeout accepted. `retry` re-delivers an unacknowledged
# task (a killed worker's), counting from when the cluster pulled it: with at most one task waiting per
# worker (queue_limit below), a pulled task starts within one `timeout` and ends within two. `retry` is one
# value for the whole cluster, fixed at its start, so it stays above that for the largest shop timeout the
# policy accepts, or a slow but live task would be handed out twice.
Q_TASK_MARGIN_S = env_float("Q_TASK_MARGIN_S", 30, minimum=1)
Q_TASK_TIMEOUT_S = math.ceil(2 * (min(3.05, SHOP_TIMEOUT_MAX_S) + SHOP_TIMEOUT_MAX_S) + Q_TASK_MARGIN_S)
Q_TASK_RETRY_S = 2 * Q_TASK_TIMEOUT_S + math.ceil(env_float("Q_RETRY_MARGIN_S", 30, minimum=1))
# django-q2's own scheduler looks for due schedules every 30 s; our qcluster also ticks it this often, so
# a retry due in 2 s starts about on time (see docs/ARCHITECTURE.md).
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
    "poll": 0.2,
    "catch_up": False,
    "save_limit": 5000,
    "label": "Tasks (django-q2)",
    "cache": "default",  # where the cluster's status goes: the shared cache above
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    # The ORM broker keeps queued jobs in the app's own database, which is what lets an order and the job
    # that will store it commit in one transaction.
    Q_CLUSTER["orm"] = "default"

# --- Operations console ---------------------------------------------------------------------------
# A bearer token that may read /metrics (Prometheus); unset, only staff sessions may.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

# TLS at the proxy, client addresses, login throttling, the order rate limit.
from .security import *  # noqa: E402,F403

# --- Demo ------------------------------------------------------------------------------------------
DEMO_ADMIN_USERNAME = env_str("DEMO_ADMIN_USERNAME", "admin")
PUBLIC_DEMO_ADMIN_PASSWORD = "pizza-demo-admin"  # printed by `make demo` and in the README: public
DEMO_ADMIN_PASSWORD = env_str("DEMO_ADMIN_PASSWORD", PUBLIC_DEMO_ADMIN_PASSWORD)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "workflow": {"handlers": ["console"], "level": env_str("WORKFLOW_LOG_LEVEL", "INFO")},
        "shop": {"handlers": ["console"], "level": env_str("SHOP_LOG_LEVEL", "INFO")},
        "django-q": {"handlers": ["console"], "level": env_str("Q_LOG_LEVEL", "WARNING"), "propagate": False},
    },
}

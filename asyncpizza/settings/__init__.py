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
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # asyncpizza comes before staticfiles so that its runserver (staticfiles' own, plus TCP_NODELAY) wins.
    "asyncpizza",
    "django.contrib.staticfiles",
    "django_htmx",
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
STORE_ORDER_MAX_ATTEMPTS = env_int("STORE_ORDER_MAX_ATTEMPTS", 3, minimum=1)
STORE_ORDER_BACKOFF_S = env_float("STORE_ORDER_BACKOFF_S", 1, minimum=0)
STORE_ORDER_BACKOFF_CAP_S = env_float("STORE_ORDER_BACKOFF_CAP_S", 300, minimum=0)

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
# API clients' callback_url may point at loopback and private addresses only in the demo: elsewhere that
# would let anyone make the app call its own network.
API_CALLBACK_ALLOW_PRIVATE = env_bool("API_CALLBACK_ALLOW_PRIVATE", DEBUG)
API_CALLBACK_SECRET = env_str("API_CALLBACK_SECRET", "demo-only-api-callback-secret-change-me")
# Delivering those notifications: the HTTP timeout of one try (one try is one task: keep it well under
# Q_TASK_TIMEOUT_S), how many tries, and the backoff between them (first wait, doubling after each failure,
# ±20 % jitter, capped); a waiting retry holds no worker.
API_CALLBACK_TIMEOUT_S = env_float("API_CALLBACK_TIMEOUT_S", 5, minimum=0.1)
API_CALLBACK_MAX_TRIES = env_int("API_CALLBACK_MAX_TRIES", 8, minimum=1)
API_CALLBACK_BACKOFF_S = env_float("API_CALLBACK_BACKOFF_S", 1, minimum=0)
API_CALLBACK_BACKOFF_CAP_S = env_float("API_CALLBACK_BACKOFF_CAP_S", 300, minimum=0)

# The demo's secrets are public (they are in this file): outside the demo, refuse to start with them.
if not env_bool("DJANGO_ALLOW_DEMO_SECRETS", DEBUG):
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
# One store-order task makes exactly one call to the shop (backoff between attempts is a scheduled
# task, not a sleep), so its longest honest run is one connect plus one read timeout and a few short
# database writes. `timeout` kills a worker stuck beyond that. `retry` re-delivers an unacknowledged task
# (a killed worker's), counting from when the cluster pulled it: with at most one task waiting per worker
# (queue_limit below), a pulled task starts within one `timeout` and ends within two. `retry` stays above
# that, or a slow but live task would be handed out twice.
Q_TASK_TIMEOUT_S = math.ceil(SHOP_CONNECT_TIMEOUT_S + SHOP_TIMEOUT_S + env_float("Q_TASK_MARGIN_S", 30, minimum=1))
Q_TASK_RETRY_S = 2 * Q_TASK_TIMEOUT_S + math.ceil(env_float("Q_RETRY_MARGIN_S", 30, minimum=1))
# django-q2's own scheduler looks for due schedules every 30 s; our qcluster also ticks it this often, so
# a retry due in 2 s starts about on time (see docs/ARCHITECTURE.md).
Q_SCHEDULER_TICK_S = env_float("Q_SCHEDULER_TICK_S", 0.5, minimum=0.1)
REDIS_URL = env_str("REDIS_URL", "")

Q_CLUSTER = {
    "name": "asyncpizza",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": Q_TASK_TIMEOUT_S,
    "retry": Q_TASK_RETRY_S,
    # A task that raised is not acknowledged, so the broker hands it out again after `retry`; after this
    # many tries django-q2 gives up on it (the stalled-order sweep still looks after the order).
    "ack_failures": False,
    "max_attempts": 5,
    "bulk": 1,
    "queue_limit": env_int("Q_WORKERS", 2, minimum=1),  # one task waiting per worker: see Q_TASK_RETRY_S
    "poll": 0.2,
    "catch_up": False,
    "save_limit": 5000,
    "label": "Tasks (django-q2)",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    # The ORM broker keeps queued jobs in the app's own database, which is what lets an order and the job
    # that will store it commit in one transaction.
    Q_CLUSTER["orm"] = "default"

# --- Demo ------------------------------------------------------------------------------------------
DEMO_ADMIN_USERNAME = env_str("DEMO_ADMIN_USERNAME", "admin")
DEMO_ADMIN_PASSWORD = env_str("DEMO_ADMIN_PASSWORD", "pizza-demo-admin")

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

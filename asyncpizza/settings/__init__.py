"""Async Pizza's settings, one module per concern. Every value that differs between the demo, tests and
production comes from the environment, read by asyncpizza/settings/env.py alone (docs/CONTRACTS.md lists
the variables), with defaults that run the demo on one machine; DEBUG is off unless asked for.

Each name is imported by name, so `grep -n NAME asyncpizza/settings/` finds where a setting comes from
(tests/asyncpizza/test_settings_layout.py checks that no module's setting is left out here).
"""

from .base import (  # noqa: F401
    BASE_DIR,
    VAR_DIR,
    SECRET_KEY,
    DEBUG,
    ALLOWED_HOSTS,
    INSTALLED_APPS,
    MIDDLEWARE,
    ROOT_URLCONF,
    WSGI_APPLICATION,
    TEMPLATES,
    LANGUAGE_CODE,
    FORMAT_MODULE_PATH,
    TIME_ZONE,
    USE_I18N,
    USE_TZ,
    STATIC_URL,
    STATICFILES_DIRS,
    STATIC_ROOT,
    STORAGES,
    LOGGING,
)
from .database import (  # noqa: F401
    DATABASE_CONN_MAX_AGE,
    DATABASES,
    DATABASE_ROUTERS,
    DEFAULT_AUTO_FIELD,
)
from .auth import (  # noqa: F401
    AUTH_PASSWORD_VALIDATORS,
    LOGIN_URL,
)
from .security import (  # noqa: F401
    SECURE_SSL_REDIRECT,
    SECURE_HSTS_SECONDS,
    SECURE_HSTS_INCLUDE_SUBDOMAINS,
    SECURE_HSTS_PRELOAD,
    SECURE_PROXY_SSL_HEADER,
    TRUSTED_PROXY_HOPS,
    AUTHENTICATION_BACKENDS,
    AXES_FAILURE_LIMIT,
    AXES_COOLOFF_TIME,
    AXES_LOCKOUT_PARAMETERS,
    AXES_LOCKOUT_TEMPLATE,
    AXES_RESET_ON_SUCCESS,
    AXES_CLIENT_IP_CALLABLE,
    AXES_VERBOSE,
    ORDER_RATE_LIMIT,
    SESSION_COOKIE_HTTPONLY,
    CSRF_COOKIE_SAMESITE,
    SESSION_COOKIE_SECURE,
    CSRF_COOKIE_SECURE,
    X_FRAME_OPTIONS,
    SECURE_CONTENT_TYPE_NOSNIFF,
    SECURE_REFERRER_POLICY,
    METRICS_TOKEN,
    ALLOW_DEMO_SECRETS,
    DEMO_ADMIN_USERNAME,
    PUBLIC_DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_PASSWORD,
)
from .mail import (  # noqa: F401
    EMAIL_BACKEND,
    EMAIL_FILE_PATH,
    EMAIL_HOST,
    EMAIL_PORT,
    EMAIL_TIMEOUT,
    DEFAULT_FROM_EMAIL,
    MAIL_MAX_TRIES,
    MAIL_RETRY_BACKOFF_S,
    MAIL_RETRY_BACKOFF_CAP_S,
    SITE_URL,
)
from .shop import (  # noqa: F401
    SHOP_URL,
    SHOP_TIMEOUT_S,
    SHOP_CONNECT_TIMEOUT_S,
    SHOP_CONTROL_TOKEN,
    SHOP_API_KEY,
    STORE_ORDER_MAX_ATTEMPTS,
    STORE_ORDER_BACKOFF_S,
    STORE_ORDER_BACKOFF_CAP_S,
    SHOP_TIMEOUT_MAX_S,
    SHOP_WEBHOOK_SECRET,
    SHOP_CALLBACK_URL,
    SHOP_CALLBACK_DEADLINE_S,
    WEBHOOK_TOLERANCE_S,
    API_CALLBACK_ALLOW_PRIVATE,
    API_CALLBACK_ALLOWED_HOSTS,
    API_CALLBACK_SECRET,
    API_CALLBACK_TIMEOUT_S,
    API_CALLBACK_MAX_TRIES,
    API_CALLBACK_BACKOFF_S,
    API_CALLBACK_BACKOFF_CAP_S,
)
from .batches import (  # noqa: F401
    BATCH_MAX_ROWS,
    BATCH_MAX_BYTES,
    BATCH_CHUNK_ROWS,
)
from .queue import (  # noqa: F401
    Q_TASK_MARGIN_S,
    Q_TASK_TIMEOUT_S,
    Q_TASK_RETRY_S,
    Q_SCHEDULER_TICK_S,
    REDIS_URL,
    QUEUE_PROBE_INTERVAL_S,
    QUEUE_PROBE_LOST_AFTER_S,
    QUEUE_PROBE_STALE_S,
    CACHES,
    Q_WORKERS,
    Q_POLL_S,
    Q_CLUSTER,
)

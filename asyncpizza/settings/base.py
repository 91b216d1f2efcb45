"""What every process of the project needs: paths, the secret key and DEBUG, apps, middleware, templates,
static files, language and time, logging."""

from pathlib import Path

from .env import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("ASYNCPIZZA_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "demo-only-secret-key-change-me-in-production-0123456789")
# Off unless asked for: `manage.py demo` and the test settings turn it on; `manage.py serve` refuses it.
DEBUG = env_bool("DJANGO_DEBUG", False)
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
    "core",  # the plumbing every app shares; its one table holds the rate limit's counters
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",  # django-csp: the Content-Security-Policy header (CONTENT_SECURITY_POLICY in security.py)
    "axes",  # django-axes: locks out repeated failed logins (see "Login throttling" below)
    # workflow comes before django_q so that its qcluster command (which adds a fast scheduler tick) wins.
    "workflow",
    "orders",
    "storefront",
    "trainer",
    "api",
    "batches",  # bulk orders: staged at once, placed in the background (mounts its routes on the API)
    "ninja",  # django-ninja, listed so that its Swagger UI is served from our /static/, never from a CDN
    "shop",
    "django_q",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # An oversized body on the JSON endpoints: 413 in JSON naming the limit, before it is read (core.body_limit).
    "core.body_limit.JsonBodyLimitMiddleware",
    # Serves /static/ from the web process itself under gunicorn (the production profile), compressed and,
    # with DJANGO_STATIC_MANIFEST, with hashed names cached for a year.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "asyncpizza.urls"
# What speaks only JSON, with its error shape (core.body_limit answers an oversized body there in that shape):
# the app's paths, and the shop simulator's URLconf (runshop serves it alone).
JSON_ONLY_PATHS = {"/api/": "message-and-field-list", "/webhooks/": "error"}
JSON_ONLY_URLCONFS = {"shop.urls": "errors-by-field"}
# Endpoints that read and limit their body themselves (POST /api/order-batches: BATCH_MAX_BYTES, above 2.5 MB).
JSON_OWN_BODY_LIMIT_PATHS = ["/api/order-batches"]
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


LANGUAGE_CODE = "en"
FORMAT_MODULE_PATH = ["asyncpizza.formats"]  # one clock, 24 h with seconds, in the admin too
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

"""Running in the open: cookies, TLS at a proxy, the client's address, login throttling, the order rate limit,
who may read /metrics, and the demo's public secrets kept out of production."""

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .base import DEBUG, SECRET_KEY
from .env import env_bool, env_float, env_int, env_rate, env_str
from .shop import API_CALLBACK_SECRET, SHOP_WEBHOOK_SECRET

# Production terminates TLS at a reverse proxy: it redirects http to https and sends HSTS itself, or these do
# it here (README, "Production"). SECURE_PROXY_SSL_HEADER only when the proxy sets X-Forwarded-Proto.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_TLS_PROXY", False) else None

# How many reverse proxies stand in front of the app and append to X-Forwarded-For: the client's address for
# login throttling and the order rate limit is the entry that many places from the right (0: REMOTE_ADDR).
TRUSTED_PROXY_HOPS = env_int("DJANGO_TRUSTED_PROXY_HOPS", 0, minimum=0)

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is locked out (429, templates/axes/lockout.html) for AXES_COOLOFF_MINUTES, or until an admin
# unlocks it (the admin's "Access attempts", or `manage.py axes_reset_username NAME`). A success resets it.
# django-axes' backend comes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_MINUTES", 60, minimum=1) / 60  # hours, as django-axes wants
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_VERBOSE = False

# Anonymous order creation (the form and POST /api/orders): at most N per period per client address,
# "60/m" (also /s, /h, /d, or "off"). The trainer's batch places its orders in-process and is not counted.
ORDER_RATE_LIMIT = env_rate("ORDER_RATE_LIMIT", "60/m")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): every page's scripts, styles, images and requests come from the app
# itself: no inline script or style, no eval, nothing from elsewhere, no framing. What the pages use fits:
# htmx and its polls (its own indicator style is switched off in base.html), the server-drawn SVG diagrams,
# Swagger UI at /api/docs (django-ninja's files under /static/, its settings in a JSON script block, which
# is data, not code), the admin. Its icons and Swagger UI's are data: URIs. tests/browser fail on any refusal.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# A bearer token that may read /metrics (Prometheus); unset, only staff sessions may.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

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

DEMO_ADMIN_USERNAME = env_str("DEMO_ADMIN_USERNAME", "admin")
PUBLIC_DEMO_ADMIN_PASSWORD = "pizza-demo-admin"  # printed by `make demo` and in the README: public
DEMO_ADMIN_PASSWORD = env_str("DEMO_ADMIN_PASSWORD", PUBLIC_DEMO_ADMIN_PASSWORD)

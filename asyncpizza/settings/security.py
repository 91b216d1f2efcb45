"""Settings for running in the open: TLS at a proxy, the client's address, login throttling, the order rate limit."""

from .env import env_bool, env_float, env_int, env_rate

# Production terminates TLS at a reverse proxy: it redirects http to https and sends HSTS itself, or these do
# it here (README, "Production"). SECURE_PROXY_SSL_HEADER only when the proxy sets X-Forwarded-Proto.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

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

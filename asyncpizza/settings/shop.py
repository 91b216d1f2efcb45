"""The shop: where the store-order step finds it, the engine policy's defaults, the callbacks both ways
(the shop's to us, ours to API clients)."""

from core.timeouts import CONNECT_TIMEOUT_CAP_S

from .env import env_bool, env_float, env_host_ports, env_int, env_list, env_str
from .mail import SITE_URL

SHOP_URL = env_str("SHOP_URL", "http://127.0.0.1:8001").rstrip("/")
SHOP_TIMEOUT_S = env_float("SHOP_TIMEOUT_S", 10, minimum=0.1)
SHOP_CONNECT_TIMEOUT_S = min(CONNECT_TIMEOUT_CAP_S, SHOP_TIMEOUT_S)
# The bearer token of the shop simulator's control endpoints (PUT /settings, POST /reset, the ledger's
# details): the shop requires it, the trainer and its commands send it. Unset, they are closed to all;
# `manage.py demo` makes a random one for its three processes.
SHOP_CONTROL_TOKEN = env_str("SHOP_CONTROL_TOKEN", "")
# The app's own client key at the shop (`manage.py shopclient create NAME` prints one; `manage.py demo` makes
# one): sent as `Authorization: Bearer` with every order call, look-up, cancellation and ledger read, so the
# app sees and settles its own orders only. Unset, the shop answers every such call 401.
SHOP_API_KEY = env_str("SHOP_API_KEY", "")
# The defaults of the engine's policy; the live policy (workflow.engine_policy, `manage.py policy`, the
# trainer page) starts from these and may change them without a restart. 13 attempts with waits of
# 1, 2, 4, 8, 16, 32, then 60 s (±20 % jitter) keep trying for at least 338 s (every wait at its shortest)
# and 423 s nominally: an outage of up to five minutes costs no order (docs/ARCHITECTURE.md, "The default retry window").
STORE_ORDER_MAX_ATTEMPTS = env_int("STORE_ORDER_MAX_ATTEMPTS", 13, minimum=1)
STORE_ORDER_BACKOFF_S = env_float("STORE_ORDER_BACKOFF_S", 1, minimum=0)
STORE_ORDER_BACKOFF_CAP_S = env_float("STORE_ORDER_BACKOFF_CAP_S", 60, minimum=0)
# The largest shop timeout the live policy accepts. django-q2's `retry` is fixed when the cluster starts
# (docs/ARCHITECTURE.md, "Timeouts, `retry` and `timeout`"), so it is sized for this value (see Q_TASK_RETRY_S); a policy asking for more is refused.
SHOP_TIMEOUT_MAX_S = env_float("SHOP_TIMEOUT_MAX_S", max(60.0, SHOP_TIMEOUT_S), minimum=SHOP_TIMEOUT_S)

# --- Callbacks, both ways ---------------------------------------------------------------------------
# The shop signs its callbacks with this secret in the Standard Webhooks format (core/webhooks.py: a
# `whsec_<base64>` secret is the bytes it stands for, any other its UTF-8 bytes); the app checks it.
SHOP_WEBHOOK_SECRET = env_str("SHOP_WEBHOOK_SECRET", "demo-only-webhook-secret-change-me")
# Where the shop calls the app back, sent with every order in callback mode.
SHOP_CALLBACK_URL = env_str("SHOP_CALLBACK_URL", f"{SITE_URL}/webhooks/shop")
# How long an acknowledged order waits for the shop's callback before the app asks the shop itself.
SHOP_CALLBACK_DEADLINE_S = env_float("SHOP_CALLBACK_DEADLINE_S", 60, minimum=1)
# A signed request older (or newer) than this is refused: it is a replay, or a clock far off (within it, a
# repeated webhook-id is refused by the webhook's own table).
WEBHOOK_TOLERANCE_S = env_int("WEBHOOK_TOLERANCE_S", 300, minimum=1)
# Our own notifications to API clients' callback_url are signed with this secret (Standard Webhooks too).
# API clients' callback_url must lead to a public address, in the demo too: anything else would let anyone
# make the app call its own network (the shop's /reset on loopback). An operator opts in explicitly, for
# named hosts and ports (API_CALLBACK_ALLOWED_HOSTS=127.0.0.1:9000 for a local receiver: that port only, never
# the shop's on the same host) or for all (the flag). As (host, port) pairs.
API_CALLBACK_ALLOW_PRIVATE = env_bool("API_CALLBACK_ALLOW_PRIVATE", False)
API_CALLBACK_ALLOWED_HOSTS = env_host_ports("API_CALLBACK_ALLOWED_HOSTS")
API_CALLBACK_SECRET = env_str("API_CALLBACK_SECRET", "demo-only-api-callback-secret-change-me")
# Delivering those notifications: the HTTP timeout of one try (one try is one task: keep it well under
# Q_TASK_TIMEOUT_S), how many tries, and the backoff between them (first wait, doubling after each failure,
# ±20 % jitter, capped); a waiting retry holds no worker.
API_CALLBACK_TIMEOUT_S = env_float("API_CALLBACK_TIMEOUT_S", 5, minimum=0.1)
API_CALLBACK_MAX_TRIES = env_int("API_CALLBACK_MAX_TRIES", 8, minimum=1)
API_CALLBACK_BACKOFF_S = env_float("API_CALLBACK_BACKOFF_S", 1, minimum=0)
API_CALLBACK_BACKOFF_CAP_S = env_float("API_CALLBACK_BACKOFF_CAP_S", 300, minimum=0)

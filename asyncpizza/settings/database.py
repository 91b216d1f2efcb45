"""The app's database and the shop simulator's (a separate system with its own)."""

import dj_database_url

from .base import VAR_DIR
from .env import env_int, env_str

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


def _shop_database(url: str) -> dict:
    config = _database(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The shop simulator serves each client connection from a thread of its own (shop.server), and the
        # app's workers keep theirs alive: that thread keeps its SQLite connection for all its requests
        # (Django closes it when the client's connection ends) instead of opening one per request, which
        # costs more than the rest of the handler when it is the file's last (SQLite then checkpoints the WAL).
        config["CONN_MAX_AGE"] = None
    return config


DATABASES = {
    "default": _database(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'app.sqlite3'}")),
    # The shop simulator is a separate system with its own database; the router keeps its models there.
    "shop": _shop_database(env_str("SHOP_DATABASE_URL", f"sqlite:///{VAR_DIR / 'shop.sqlite3'}")),
}
DATABASE_ROUTERS = ["shop.routers.ShopRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

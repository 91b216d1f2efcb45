"""Settings for the test suite: the project's own settings, read with the environment a test run wants.

The defaults below are set before the project's settings are read, so that this process and the worker
clusters the tests start (which get DJANGO_SETTINGS_MODULE=tests.settings) agree on every value. A value
already in the environment wins.
"""

import os
from pathlib import Path

_VAR = Path(__file__).resolve().parent.parent / "var" / "test"

TEST_ENVIRONMENT = {
    # DEBUG is off by default (production); the tests, like the demo, turn it on (with the demo's secrets).
    "DJANGO_DEBUG": "true",
    "ASYNCPIZZA_VAR_DIR": str(_VAR),
    # Short waits so the retry scenarios finish in seconds; enough attempts that a 30% flaky shop
    # confirms every order (0.3**6: about 1 in 1,400 orders would still fail).
    "STORE_ORDER_BACKOFF_S": "0.2",
    "STORE_ORDER_BACKOFF_CAP_S": "2",
    "STORE_ORDER_MAX_ATTEMPTS": "6",
    "SHOP_TIMEOUT_S": "3",
    "MAIL_RETRY_BACKOFF_S": "0.5",
    "MAIL_RETRY_BACKOFF_CAP_S": "2",
    # The largest shop timeout the live policy accepts: django-q2's retry (the worker-loss test waits for it)
    # is sized for it.
    "SHOP_TIMEOUT_MAX_S": "5",
    "Q_WORKERS": "2",
    # The worker-loss test waits for django-q2 to re-deliver the task: keep that wait short.
    "Q_TASK_MARGIN_S": "3",
    "Q_RETRY_MARGIN_S": "4",
    "Q_SCHEDULER_TICK_S": "0.2",
    # The tests' notification receivers listen on loopback, on free ports nobody can name beforehand: the
    # flag lets them through. The tests of the rule itself turn it off (tests/api/test_destinations.py).
    "API_CALLBACK_ALLOW_PRIVATE": "true",
    # Generous: the suite places hundreds of orders a minute from 127.0.0.1; tests of the limit set their own.
    "ORDER_RATE_LIMIT": "100000/m",
    "WORKFLOW_LOG_LEVEL": "WARNING",
    "SHOP_LOG_LEVEL": "WARNING",
}
for _name, _value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)

from asyncpizza.settings import *  # noqa: E402,F403  (the project's settings, then the tests' changes)
from asyncpizza.settings import DATABASES, VAR_DIR  # noqa: E402

VAR_DIR.mkdir(parents=True, exist_ok=True)
# File databases, not in-memory ones: the worker cluster and the shop run in processes of their own.
DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-app.sqlite3")}
DATABASES["shop"]["TEST"] = {"NAME": str(VAR_DIR / "test-shop.sqlite3")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

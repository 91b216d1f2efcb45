"""`celery -A bench.celery_worker worker`: Django set up with the bench settings, then the peer's Celery app."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()  # the bench app's ready() configures the Celery app from the settings

from .celery_peer import app  # noqa: E402,F401

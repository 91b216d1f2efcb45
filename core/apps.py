from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Plumbing every app shares. An app only for its one table: the rate limit's counters (core.models)."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

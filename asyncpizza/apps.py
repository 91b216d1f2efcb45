from django.apps import AppConfig


class AsyncPizzaConfig(AppConfig):
    """The project itself, as an app: it carries the project-wide commands (prepare, demo)."""

    name = "asyncpizza"
    verbose_name = "Async Pizza"

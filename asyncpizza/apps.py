from django.apps import AppConfig


class AsyncPizzaConfig(AppConfig):
    """The project itself, as an app: it carries the project-wide commands (prepare, demo) and system checks."""

    name = "asyncpizza"
    verbose_name = "Async Pizza"

    def ready(self):
        from . import checks  # noqa: F401 - registers the checks that refuse demo credentials in production

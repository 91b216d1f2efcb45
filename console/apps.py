from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ConsoleConfig(AppConfig):
    """The operations console: health panel, needs-attention, timelines and /metrics, for the people who
    run Async Pizza. It reads `orders`, `workflow`, `api` and django-q2; none of them depends on it."""

    name = "console"
    verbose_name = "Operations console"
    default = True


class OperationsAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, with the console's AdminSite as the default site (admin.site)."""

    default = False
    default_site = "console.sites.OperationsAdminSite"

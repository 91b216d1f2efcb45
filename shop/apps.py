from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The pizza shop simulator: a separate system with its own database, reached only over HTTP."""

    name = "shop"
    verbose_name = "Shop simulator"

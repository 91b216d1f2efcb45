from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """The store-order step: shop client, retry policy, attempts, and the django-q2 task around them."""

    name = "workflow"

from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """The order process: starting it from any entry, the store-order step and its outcomes, the callback
    wait, the mail step, recovery; django-q2 tasks around them. Depends on `orders`, never the reverse."""

    name = "workflow"

    def ready(self):
        from orders import process
        from orders.signals import order_finalised

        from .mail import queue_status_email
        from .start import WorkflowEntry

        process.register(WorkflowEntry())
        order_finalised.connect(queue_status_email, dispatch_uid="workflow.mail.queue_status_email")

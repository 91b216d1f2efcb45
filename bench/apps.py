from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "bench"
    label = "bench"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings

        if settings.BENCH_QUEUE == "celery":
            import core.queue

            from .celery_peer import configure, enqueue_with_celery

            configure()

            # The peer: every job the app queues goes to Celery instead, after the commit (bench stack only).
            core.queue.enqueue = enqueue_with_celery

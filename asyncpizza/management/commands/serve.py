"""The production profile: gunicorn (asyncpizza/gunicorn.conf.py) and the django-q2 worker cluster, until
Ctrl-C or SIGTERM stops both. It refuses to start while `check --deploy` finds an error (the README's
production environment leaves two warnings, about TLS, which the reverse proxy answers), then collects the static files whitenoise serves and prepares the databases.
"""

import os
from pathlib import Path
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from asyncpizza.processes import handle_stop_signals, start, supervise

GUNICORN_CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def gunicorn_argv(bind: str, web_workers: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), "--bind", bind, "--workers", str(web_workers)]


class Command(BaseCommand):
    help = "Check the deployment settings, collect static files, prepare the databases, then run gunicorn and the worker cluster."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="gunicorn's address (default 127.0.0.1:8000)")
        parser.add_argument(
            "--web-workers", type=int, default=os.cpu_count() or 1,
            help="gunicorn processes (default: one per core; each runs 8 threads)",
        )

    def handle(self, *args, bind, web_workers, **options):
        if settings.DEBUG:
            raise CommandError(
                "DJANGO_DEBUG is on: the production profile never runs with DEBUG (it shows tracebacks and settings "
                "to anyone). Unset DJANGO_DEBUG, or run the demo (make demo)."
            )
        handle_stop_signals()
        call_command("check", deploy=True)  # an error stops us; the TLS warnings a proxy answers are shown
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("prepare")
        children = {
            "web (gunicorn)": start(gunicorn_argv(bind, web_workers), cwd=settings.BASE_DIR),
            "worker": start([sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR),
        }
        self.stdout.write(self.style.SUCCESS(f"Async Pizza (production profile) on http://{bind}/. Ctrl-C stops it."))
        exit_code = supervise(children, self.stderr.write)
        if exit_code:
            sys.exit(exit_code)

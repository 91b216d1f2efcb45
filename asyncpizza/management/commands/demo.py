"""Runs the whole demo: web, shop simulator and worker cluster, until Ctrl-C stops all three."""

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from asyncpizza.processes import handle_stop_signals, supervise

PROCESSES = [
    ("web", ["runserver", "127.0.0.1:8000", "--noreload"]),
    ("shop", ["runshop", "127.0.0.1:8001"]),
    ("worker", ["qcluster"]),
]


class Command(BaseCommand):
    help = "Prepare the databases, then run web (:8000), shop simulator (:8001) and worker cluster together."

    def handle(self, *args, **options):
        handle_stop_signals()  # Ctrl-C and SIGTERM stop all three
        call_command("prepare", demo_admin=True)
        children = {
            name: subprocess.Popen([sys.executable, "manage.py", *argv], cwd=settings.BASE_DIR)
            for name, argv in PROCESSES
        }
        self.stdout.write(
            self.style.SUCCESS("\nAsync Pizza is running. Ctrl-C stops it.\n")
            + "  Order a pizza:   http://127.0.0.1:8000/\n"
            + f"  Admin:           http://127.0.0.1:8000/admin/  (user {settings.DEMO_ADMIN_USERNAME!r}, "
            + f"password {settings.DEMO_ADMIN_PASSWORD!r})\n"
            + "  Customer mails:  http://127.0.0.1:8000/mailbox/  (staff only)\n"
            + "  Shop simulator:  http://127.0.0.1:8001/settings  and  /orders (its ledger)\n"
        )
        exit_code = supervise(children, self.stderr.write)
        if exit_code:
            sys.exit(exit_code)


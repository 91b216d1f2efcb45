"""Runs the whole demo: web, shop simulator and worker cluster, until Ctrl-C stops all three."""

import os
import secrets
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from asyncpizza.processes import handle_stop_signals, start, supervise
from shop.clients import new_key, register_key

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
        # The shop's control endpoints need a token: the one in the environment, or a fresh one for this run,
        # given to all three (the web process's trainer page sends it).
        control_token = settings.SHOP_CONTROL_TOKEN or secrets.token_urlsafe(32)
        # The app is a client of the shop: its key (the environment's, or a fresh one) is registered in the
        # shop's database as the client "app", as `manage.py shopclient create app` would.
        api_key = settings.SHOP_API_KEY or new_key()
        register_key("app", api_key)
        environment = {**os.environ, "SHOP_CONTROL_TOKEN": control_token, "SHOP_API_KEY": api_key}
        children = {
            name: start([sys.executable, "manage.py", *argv], cwd=settings.BASE_DIR, env=environment)
            for name, argv in PROCESSES
        }
        self.stdout.write(
            self.style.SUCCESS("\nAsync Pizza is running. Ctrl-C stops it.\n")
            + "  Order a pizza:   http://127.0.0.1:8000/\n"
            + f"  Admin:           http://127.0.0.1:8000/admin/  (user {settings.DEMO_ADMIN_USERNAME!r}, "
            + f"password {settings.DEMO_ADMIN_PASSWORD!r})\n"
            + "  Customer mails:  http://127.0.0.1:8000/mailbox/  (staff only)\n"
            + "  Shop simulator:  http://127.0.0.1:8001/settings  and  /orders (its ledger)\n"
            + f"  Shop control:    SHOP_CONTROL_TOKEN={control_token}\n"
            + f"  The app's key:   SHOP_API_KEY={api_key}\n"
            + "                   (export both to run `manage.py scenario` or `reconcile` in another terminal)\n"
        )
        exit_code = supervise(children, self.stderr.write)
        if exit_code:
            sys.exit(exit_code)


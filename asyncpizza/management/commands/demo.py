"""Runs the whole demo: web, shop simulator and worker cluster, until Ctrl-C stops all three."""

import os
import secrets
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from asyncpizza.processes import handle_stop_signals, start, supervise
from asyncpizza.startup import PortBusy, answers_http, check_ports, wait_until_ready, workers_answer
from shop.clients import new_key, register_key


def processes(web_port: int, shop_port: int) -> list[tuple[str, list[str]]]:
    return [
        ("web", ["runserver", f"127.0.0.1:{web_port}", "--noreload"]),
        ("shop", ["runshop", f"127.0.0.1:{shop_port}"]),
        ("worker", ["qcluster"]),
    ]


class Command(BaseCommand):
    help = "Prepare the databases, then run web (:8000), shop simulator (:8001) and worker cluster together."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="the web's port (make demo PORT=...)")
        parser.add_argument("--shop-port", type=int, default=8001, help="the shop's port (make demo SHOP_PORT=...)")

    def handle(self, *args, port, shop_port, **options):
        if port == shop_port:
            raise CommandError(f"The web and the shop need two ports, not {port} twice.")
        try:  # before anything is printed or started
            check_ports({"web": port, "shop": shop_port})
        except PortBusy as error:
            raise CommandError(str(error)) from None
        handle_stop_signals()  # Ctrl-C and SIGTERM stop all three
        call_command("prepare", demo_admin=True)
        web, shop = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{shop_port}"
        # The shop's control endpoints need a token: the one in the environment, or a fresh one for this run,
        # given to all three (the web process's trainer page sends it). The ports go to all three as well:
        # where the engine finds the shop, and where the shop calls back.
        control_token = settings.SHOP_CONTROL_TOKEN or secrets.token_urlsafe(32)
        # The app is a client of the shop: its key (the environment's, or a fresh one) is registered in the
        # shop's database as the client "app", as `manage.py shopclient create app` would.
        api_key = settings.SHOP_API_KEY or new_key()
        register_key("app", api_key)
        environment = {
            **os.environ, "SHOP_CONTROL_TOKEN": control_token, "SHOP_API_KEY": api_key, "SHOP_URL": shop, "SITE_URL": web,
        }
        children = {
            name: start([sys.executable, "manage.py", *argv], cwd=settings.BASE_DIR, env=environment)
            for name, argv in processes(port, shop_port)
        }
        self.stdout.write(f"Starting web ({web}), shop simulator ({shop}) and the worker cluster…")
        not_ready = wait_until_ready(
            {"web": answers_http(f"{web}/"), "shop": answers_http(f"{shop}/health"), "worker": workers_answer},
            alive=lambda: next((name for name, child in children.items() if child.poll() is not None), None),
        )
        if not_ready:
            self.stderr.write(f"Not answering: {', '.join(not_ready)}. What each printed is above.")
        else:
            self.stdout.write(
                self.style.SUCCESS("\nAsync Pizza is running. Ctrl-C stops it.\n")
                + f"  Order a pizza:   {web}/\n"
                + f"  Admin:           {web}/admin/  (user {settings.DEMO_ADMIN_USERNAME!r}, "
                + f"password {settings.DEMO_ADMIN_PASSWORD!r})\n"
                + f"  Trainer:         {web}/trainer/\n"
                + f"  Customer mails:  {web}/mailbox/  (staff only)\n"
                + f"  Shop simulator:  {shop}/settings  and  /orders (its ledger)\n"
                + f"  Shop control:    SHOP_CONTROL_TOKEN={control_token}\n"
                + f"  The app's key:   SHOP_API_KEY={api_key}\n"
                + "                   (export both, with SHOP_URL and SITE_URL if the ports are not 8000/8001, to run\n"
                + '                   `make manage ARGS="scenario NAME"` in another terminal)\n'
            )
        exit_code = supervise(children, self.stderr.write)
        if exit_code:
            sys.exit(exit_code)

"""Runs the whole demo: web, shop simulator and worker cluster, until Ctrl-C stops all three."""

import os
import secrets
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

PROCESSES = [
    ("web", ["runserver", "127.0.0.1:8000", "--noreload"]),
    ("shop", ["runshop", "127.0.0.1:8001"]),
    ("worker", ["qcluster"]),
]


class Command(BaseCommand):
    help = "Prepare the databases, then run web (:8000), shop simulator (:8001) and worker cluster together."

    def handle(self, *args, **options):
        # Ctrl-C and SIGTERM (a supervisor, `kill`) stop all three. SIGINT is set explicitly too: a demo started
        # in the background of a script inherits it ignored, and would then outlive its Ctrl-C.
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        call_command("prepare", demo_admin=True)
        # The shop's control endpoints need a token: the one in the environment, or a fresh one for this run,
        # given to all three (the web process's trainer page sends it).
        control_token = settings.SHOP_CONTROL_TOKEN or secrets.token_urlsafe(32)
        environment = {**os.environ, "SHOP_CONTROL_TOKEN": control_token}
        children = {name: start_child(argv, env=environment) for name, argv in PROCESSES}
        self.stdout.write(
            self.style.SUCCESS("\nAsync Pizza is running. Ctrl-C stops it.\n")
            + "  Order a pizza:   http://127.0.0.1:8000/\n"
            + f"  Admin:           http://127.0.0.1:8000/admin/  (user {settings.DEMO_ADMIN_USERNAME!r}, "
            + f"password {settings.DEMO_ADMIN_PASSWORD!r})\n"
            + "  Customer mails:  http://127.0.0.1:8000/mailbox/  (staff only)\n"
            + "  Shop simulator:  http://127.0.0.1:8001/settings  and  /orders (its ledger)\n"
            + f"  Shop control:    SHOP_CONTROL_TOKEN={control_token}\n"
            + "                   (export it to run `manage.py scenario` in another terminal)\n"
        )
        exit_code = 0
        try:
            while True:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"The {name} process stopped (exit code {child.returncode}); stopping the demo.")
                        exit_code = child.returncode or 1
                        raise StopIteration
                time.sleep(0.5)
        except (KeyboardInterrupt, StopIteration):
            pass
        finally:
            stop_all(children.values())
        if exit_code:
            sys.exit(exit_code)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def start_child(argv: list[str], *, env: dict) -> subprocess.Popen:
    """`manage.py <argv>` in a process group of its own. A terminal's Ctrl-C then reaches the demo alone,
    which stops each child with exactly one SIGTERM: django-q2's cluster can deadlock in its signal handler
    when a second signal arrives during the first one's stop (SIGINT from the terminal, then our SIGTERM;
    django-q2/django-q2#346), and then outlives the demo with its sentinel and workers."""
    return subprocess.Popen([sys.executable, "manage.py", *argv], cwd=settings.BASE_DIR, env=env, process_group=0)


def stop_all(children, grace_s: float = 10) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        # Whatever the child started and left behind (a cluster's sentinel and workers) goes with it.
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

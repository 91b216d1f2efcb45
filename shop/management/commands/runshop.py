"""python manage.py runshop [ADDR:PORT]: serve the shop simulator, and only it, until SIGTERM or Ctrl-C.

It does not migrate: `python manage.py prepare` readies the shop's database. On start it resumes the
orders an earlier run left pending in callback mode; callbacks under way when it stops are lost (see
shop/callbacks.py).
"""

import dataclasses
import logging
import signal

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from shop.callbacks import resume_pending
from shop.server import DEFAULT_ADDRPORT, make_server, parse_addrport

logger = logging.getLogger("shop")


class Command(BaseCommand):
    help = f"Serve the shop simulator's HTTP API with a threaded server (default {DEFAULT_ADDRPORT})."
    # The shop is a separate system: the app's checks (its URLs, templates, admin) are not its concern.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport",
            nargs="?",
            default=DEFAULT_ADDRPORT,
            help="ADDR:PORT, [IPv6]:PORT or PORT; port 0 picks a free port (the start line tells which).",
        )

    def handle(self, *args, addrport, **options):
        try:
            address = parse_addrport(addrport)
        except ValueError as error:
            raise CommandError(str(error)) from None
        try:
            server = make_server(address)
        except OSError as error:
            raise CommandError(f"Cannot listen on {address.url}: {error}") from None

        address = dataclasses.replace(address, port=server.server_port)
        try:
            resumed = resume_pending()
        except DatabaseError as error:
            # An unprepared database: serve anyway, as before, and let the calls' errors say what is wrong.
            logger.warning("Pending callbacks not resumed: %s", error)
        else:
            if resumed:
                logger.info("Pending orders resumed: %d", resumed)
        self.stdout.write(f"Shop simulator on {address.url}")
        self.stdout.flush()  # whoever started us may be waiting for this line on a pipe or in a file

        # SIGTERM (how `make demo` and the tests stop us) ends the process like Ctrl-C: serve_forever is
        # interrupted, the socket is closed, and the exit code is 0.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        logger.info("Shop simulator stopped")

"""python manage.py shopclient create NAME: a new client of the shop simulator, and its API key.

Runs on the shop's database (SHOP_DATABASE_URL). The key is printed once, alone on the last line (so that a
script can take it with `tail -n 1`); the shop keeps only its hash. `shopclient list` names the clients.
"""

from django.core.management.base import BaseCommand, CommandError

from shop.clients import ClientExists, create_client
from shop.models import ApiClient


class Command(BaseCommand):
    help = "Make a client of the shop simulator (prints its API key, alone on the last line), or list them."
    requires_system_checks = []  # the shop's own command: the app's checks are not its concern

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="a new client; its key on the last line")
        create.add_argument("name")
        commands.add_parser("list", help="the clients' names (never their keys)")

    def handle(self, *args, action, **options):
        if action == "list":
            for client in ApiClient.objects.all():
                self.stdout.write(f"{client.name}\t{client.entries.count()} ledger entries\tsince {client.created_at:%Y-%m-%d %H:%M}")
            return
        name = options["name"].strip()
        if not name or len(name) > ApiClient._meta.get_field("name").max_length or not name.isprintable():
            raise CommandError("NAME must be 1 to 100 printable characters")
        try:
            _, key = create_client(name)
        except ClientExists as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Client {name!r} created. Its key is shown once; the shop keeps only its hash. Send it as")
        self.stdout.write("Authorization: Bearer <key> (the app reads it from SHOP_API_KEY):")
        self.stdout.write(key)

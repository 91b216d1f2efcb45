from django.core.management.base import BaseCommand

from orders.models import StoreMode
from workflow.models import set_store_mode


class Command(BaseCommand):
    help = "Switch the store-order step between synchronous and asynchronous (kept in the database)."

    def add_arguments(self, parser):
        parser.add_argument("mode", choices=StoreMode.values)

    def handle(self, *args, mode, **options):
        settings = set_store_mode(mode)
        self.stdout.write(f"Store order now runs {settings.get_store_mode_display().lower()}.")

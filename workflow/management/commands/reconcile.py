from django.core.management.base import BaseCommand

from workflow.reconciliation import reconcile_with_shop


class Command(BaseCommand):
    help = ("Compare the shop's ledger with the app's orders and cancel at the shop every order the app does not "
            "stand behind (unknown here, failed or cancelled here). The same sweep runs every minute in the cluster.")

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=float, default=None,
                            help="Seconds an entry unknown to the app must be old (default: the sweep's own).")

    def handle(self, *args, grace=None, **options):
        from datetime import timedelta

        result = reconcile_with_shop(grace=None if grace is None else timedelta(seconds=grace))
        self.stdout.write(str(result))

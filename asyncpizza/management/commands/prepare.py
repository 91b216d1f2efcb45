from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from orders.menu import load_menu
from api.recovery import ensure_notification_sweep
from core.queue import ensure_task_history_pruning
from batches.queue import ensure_batch_sweep
from trainer.access import TRAINERS_GROUP, ensure_trainers_group
from workflow.reconciliation import ensure_reconciliation_schedule
from workflow.recovery import ensure_recovery_schedule


class Command(BaseCommand):
    help = "Prepare every database the project uses (the shop's too) and load the menu. Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-admin",
            action="store_true",
            help="Also create (or reset) the demo's staff user from DEMO_ADMIN_USERNAME/DEMO_ADMIN_PASSWORD.",
        )

    def handle(self, *args, demo_admin=False, verbosity=1, **options):
        if demo_admin and settings.DEMO_ADMIN_PASSWORD == settings.PUBLIC_DEMO_ADMIN_PASSWORD and not settings.ALLOW_DEMO_SECRETS:
            raise CommandError(
                f"Refusing to create the demo admin with the public password {settings.PUBLIC_DEMO_ADMIN_PASSWORD!r}: "
                "DJANGO_DEBUG is off, so this looks like production. Set DEMO_ADMIN_PASSWORD to a password of your "
                "own, or create a staff user with `manage.py createsuperuser`."
            )
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        for database in settings.DATABASES:
            call_command("migrate", database=database, interactive=False, verbosity=max(0, verbosity - 1))
            self.stdout.write(f"Database {database!r} is migrated.")
        # The shared cache's table (django-q2's cluster status, the order rate limit); on a repeat it exists already.
        call_command("createcachetable", database="default", verbosity=max(0, verbosity - 1))
        self.stdout.write(f"Menu: {load_menu()} pizzas.")
        ensure_recovery_schedule()
        ensure_notification_sweep()
        ensure_reconciliation_schedule()
        ensure_batch_sweep()
        ensure_task_history_pruning()
        self.stdout.write("The sweeps for stalled orders, notifications, batches and the shop's ledger, and the pruning "
                          "of the task history, are scheduled every minute.")
        ensure_trainers_group()
        self.stdout.write(f"The group {TRAINERS_GROUP!r} may run the trainer (add staff to it in the admin).")
        if demo_admin:
            self._ensure_demo_admin()

    def _ensure_demo_admin(self):
        user, created = get_user_model().objects.get_or_create(username=settings.DEMO_ADMIN_USERNAME)
        user.is_staff = user.is_superuser = True
        user.set_password(settings.DEMO_ADMIN_PASSWORD)
        user.save()
        self.stdout.write(f"Demo admin {'created' if created else 'reset'}: {user.username}.")

from django.core.management.base import BaseCommand, CommandError

from workflow.engine_policy import APPLIES, PolicyRefused, current_policy, describe, reset_policy, set_policy

# Command-line option -> field of the policy.
OPTIONS = {
    "attempts": "max_attempts",
    "backoff": "backoff_s",
    "backoff_cap": "backoff_cap_s",
    "shop_timeout": "shop_timeout_s",
    "callback_deadline": "callback_deadline_s",
}


class Command(BaseCommand):
    help = (
        "Print the engine's live policy, or change it (kept in the database: no "
        "restart). Without arguments: print it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--attempts", type=int, metavar="N", help="attempts before an order fails")
        parser.add_argument("--backoff", type=float, metavar="S", help="the first wait between attempts, doubling")
        parser.add_argument("--backoff-cap", type=float, metavar="S", help="the longest wait between attempts")
        parser.add_argument("--shop-timeout", type=float, metavar="S", help="the HTTP timeout of one call to the shop")
        parser.add_argument("--callback-deadline", type=float, metavar="S",
                            help="how long an acknowledged order waits for the shop's callback before asking it")
        parser.add_argument("--defaults", action="store_true", help="back to the environment's defaults")

    def handle(self, *args, defaults=False, **options):
        changes = {field: options[option] for option, field in OPTIONS.items() if options.get(option) is not None}
        if defaults and changes:
            raise CommandError("--defaults restores every field: give it alone")
        if defaults:
            policy = reset_policy()
        elif changes:
            try:
                policy = set_policy(**changes)
            except PolicyRefused as refusal:
                flags = {field: f"--{option.replace('_', '-')}" for option, field in OPTIONS.items()}
                raise CommandError(
                    "policy not changed: " + "; ".join(f"{flags.get(f, f)} {m}" for f, m in refusal.errors.items())
                ) from None
        else:
            policy = current_policy()
        self.stdout.write(f"Policy: {describe(policy)}.")
        if changes or defaults:
            self.stdout.write(f"{APPLIES} It takes effect with no restart.")

from django.core.management.base import BaseCommand, CommandError

from trainer.scenarios import SCENARIOS, apply_scenario
from trainer.shop_control import ShopControlError
from workflow.engine_policy import PolicyRefused, describe


class Command(BaseCommand):
    help = "Set the shop simulator's knobs and the engine's policy for one of the classic scenarios."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=list(SCENARIOS))

    def handle(self, *args, name, **options):
        try:
            knobs, policy = apply_scenario(name)
        except (ShopControlError, PolicyRefused) as error:
            raise CommandError(str(error)) from error
        scenario = SCENARIOS[name]
        self.stdout.write(f"Scenario: {scenario.title}. The shop's knobs: {knobs}")
        self.stdout.write(f"The engine's policy: {describe(policy)}.")
        if scenario.customers:
            self.stdout.write(f"{scenario.customers} made-up customers are ordering (the worker cluster places them).")
        if scenario.batch_rows:
            self.stdout.write(f"A caterer's batch of {scenario.batch_rows} rows is staged; follow it at /batches/ "
                              "(the worker cluster places it).")
        self.stdout.write(f"  sync:  {scenario.in_sync}\n  async: {scenario.in_async}")

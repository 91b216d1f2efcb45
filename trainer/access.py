"""Who may run the trainer: the permission trainer.run_trainer, held by the group "Trainers" and superusers."""

from django.contrib.auth.models import Group, Permission

from core.permissions import staff_with_permission

TRAINERS_GROUP = "Trainers"
RUN_TRAINER = "trainer.run_trainer"

trainers_only = staff_with_permission(
    RUN_TRAINER, label="Can run the trainer", needed_for="Running the trainer",
    how=f" (the group “{TRAINERS_GROUP}” has it: add the account there in the admin's Users)",
)


def ensure_trainers_group() -> Group:
    """The group "Trainers", holding the permission to run the trainer; safe to repeat."""
    group, _ = Group.objects.get_or_create(name=TRAINERS_GROUP)
    app_label, codename = RUN_TRAINER.split(".")
    group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group

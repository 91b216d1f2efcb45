from django.apps import AppConfig


class TrainerConfig(AppConfig):
    """Trainer mode: the sync/async switch, the classic scenarios, the dashboard, compare_modes."""

    name = "trainer"

"""System checks that stop a production start (DEBUG off) with the demo's public credentials.

They run before `runserver` serves anything and in `manage.py check --deploy`. The settings already refuse
to load with the demo's secrets unless DJANGO_ALLOW_DEMO_SECRETS says this is a local benchmark; these
checks also look in the database for the demo admin still having the public password, which settings
cannot see. With DJANGO_ALLOW_DEMO_SECRETS both are warnings, so a benchmark on loopback still starts.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.db import DatabaseError

DEMO_SECRET_PREFIX = "demo-only"
DEMO_SECRETS = ("SECRET_KEY", "SHOP_WEBHOOK_SECRET", "API_CALLBACK_SECRET")


def _problem(message: str, *, hint: str, id: str):
    kind = checks.Warning if settings.ALLOW_DEMO_SECRETS else checks.Error
    return kind(message, hint=hint, id=id)


@checks.register(checks.Tags.security)
def demo_secrets_in_production(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    public = [name for name in DEMO_SECRETS if getattr(settings, name).startswith(DEMO_SECRET_PREFIX)]
    if not public:
        return []
    return [_problem(
        f"DEBUG is off but {', '.join(public)} still have the demo's public values.",
        hint="Set DJANGO_SECRET_KEY, SHOP_WEBHOOK_SECRET and API_CALLBACK_SECRET in the environment (README, Production).",
        id="asyncpizza.E001",
    )]


@checks.register(checks.Tags.security)
def demo_admin_in_production(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    try:
        users = list(get_user_model().objects.filter(is_active=True, username__in={settings.DEMO_ADMIN_USERNAME, "admin"}))
    except DatabaseError:  # not migrated yet: there is no demo admin either
        return []
    exposed = [user.username for user in users if user.check_password(settings.PUBLIC_DEMO_ADMIN_PASSWORD)]
    if not exposed:
        return []
    return [_problem(
        f"DEBUG is off but the user {', '.join(map(repr, exposed))} still has the demo's public password.",
        hint="Give it a real password (manage.py changepassword NAME) or remove it.",
        id="asyncpizza.E002",
    )]


@checks.register()
def webhook_secrets_readable(app_configs, **kwargs):
    """A `whsec_` secret must continue in base64 (core/webhooks.py): else every webhook would fail to sign."""
    from core.webhooks import secret_key

    problems = []
    for name in ("SHOP_WEBHOOK_SECRET", "API_CALLBACK_SECRET"):
        try:
            secret_key(getattr(settings, name))
        except ValueError as error:
            problems.append(checks.Error(f"{name}: {error}.", hint="Use whsec_ + base64, or a secret without the prefix.",
                                         id="asyncpizza.E003"))
    return problems

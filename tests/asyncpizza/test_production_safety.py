"""Demo credentials stay in the demo: with DJANGO_DEBUG off, `prepare --demo-admin` refuses the public
password, and the system checks (run by `runserver` and `check --deploy`) stop a start with the demo admin
still in the database. The README's production environment passes `check --deploy` but for the warnings a
TLS-terminating proxy answers for."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
README = ROOT / "README.md"


def readme_production_environment() -> dict:
    """The README's production environment (section "Production"), as written there."""
    text = README.read_text()
    block = text[text.index("# production environment\n"):text.index("# end of production environment")]
    pairs = [line.split("=", 1) for line in block.splitlines()[1:] if "=" in line]
    return {name: value for name, value in pairs}


# With a scratch SQLite database and this worker's own Redis database in place of the README's servers.
PRODUCTION = {**readme_production_environment(), "DATABASE_URL": "", "REDIS_URL": "redis://127.0.0.1:6379/4"}


def manage(*argv, env: dict, tmp_path, timeout=120) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "asyncpizza.settings", "ASYNCPIZZA_VAR_DIR": str(tmp_path), **env,
    }
    environment = {name: value for name, value in environment.items() if value}  # "": the default
    return subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=timeout)


def check_ids(output: str) -> set[str]:
    return set(re.findall(r"\((\w+\.[EW]\d+)\)", output))


def test_prepare_refuses_the_public_demo_password_in_production(tmp_path):
    result = manage("prepare", "--demo-admin", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Refusing to create the demo admin with the public password 'pizza-demo-admin'" in result.stderr
    assert "Set DEMO_ADMIN_PASSWORD" in result.stderr
    assert "migrated" not in result.stdout  # refused before anything was done


def test_the_readme_production_environment_passes_check_deploy_but_for_the_tls_proxy_warnings(tmp_path):
    result = manage("check", "--deploy", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    # HSTS (W004) and the http-to-https redirect (W008) are the proxy's job, or set from env: README.
    assert check_ids(result.stderr + result.stdout) == {"security.W004", "security.W008"}
    tls_here = {"DJANGO_SECURE_SSL_REDIRECT": "1", "DJANGO_SECURE_HSTS_SECONDS": "31536000",
                "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "DJANGO_SECURE_HSTS_PRELOAD": "1"}
    result = manage("check", "--deploy", env={**PRODUCTION, **tls_here}, tmp_path=tmp_path)
    assert result.returncode == 0 and check_ids(result.stderr + result.stdout) == set(), result.stderr


def test_a_demo_database_taken_to_production_stops_runserver_and_check_deploy(tmp_path):
    demo = manage("prepare", "--demo-admin", env={"DJANGO_DEBUG": "1"}, tmp_path=tmp_path)
    assert demo.returncode == 0, demo.stderr
    check = manage("check", "--deploy", env=PRODUCTION, tmp_path=tmp_path)
    assert check.returncode == 1 and "asyncpizza.E002" in check.stderr
    assert "the user 'admin' still has the demo's public password" in check.stderr
    server = manage("runserver", f"127.0.0.1:{free_port()}", "--noreload", env=PRODUCTION, tmp_path=tmp_path, timeout=60)
    assert server.returncode == 1 and "asyncpizza.E002" in server.stderr
    assert "Starting development server" not in server.stdout + server.stderr


@pytest.mark.django_db
def test_the_checks_name_demo_secrets_and_the_demo_admin_when_debug_is_off(settings):
    settings.DEBUG, settings.ALLOW_DEMO_SECRETS = False, False
    settings.SHOP_WEBHOOK_SECRET = "demo-only-webhook-secret-change-me"
    get_user_model().objects.create_user("admin", password=django_settings.PUBLIC_DEMO_ADMIN_PASSWORD, is_staff=True)
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    assert "asyncpizza.E001" in str(raised.value) and "SHOP_WEBHOOK_SECRET" in str(raised.value)
    assert "asyncpizza.E002" in str(raised.value)


@pytest.mark.django_db
def test_the_checks_are_quiet_in_the_demo_and_with_a_real_admin_password(settings):
    get_user_model().objects.create_user("admin", password=django_settings.PUBLIC_DEMO_ADMIN_PASSWORD, is_staff=True)
    settings.DEBUG = True
    call_command("check")
    settings.DEBUG, settings.ALLOW_DEMO_SECRETS = False, False
    settings.SECRET_KEY = settings.SHOP_WEBHOOK_SECRET = settings.API_CALLBACK_SECRET = "real-" + "x" * 60
    get_user_model().objects.filter(username="admin").update(password="!")  # unusable: changed by its owner
    call_command("check")


@pytest.mark.django_db
def test_a_whsec_secret_that_is_not_base64_stops_the_start(settings):
    settings.API_CALLBACK_SECRET = "whsec_not base64!"
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    assert "asyncpizza.E003" in str(raised.value) and "API_CALLBACK_SECRET" in str(raised.value)
    settings.API_CALLBACK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    call_command("check")

"""The production profile: gunicorn with the project's config, whitenoise serving the collected static files
under hashed names, kept-alive connections; and `serve` refusing to start while `check --deploy` complains."""

import http.client
import os
import re
import subprocess
import sys

import pytest

from asyncpizza.management.commands.serve import gunicorn_argv
from tests.support.ports import free_port
from tests.support.waiting import wait_until

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def production_env(var_dir) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "asyncpizza.settings",
        "ASYNCPIZZA_VAR_DIR": str(var_dir),
        "DJANGO_DEBUG": "false",
        "DJANGO_STATIC_MANIFEST": "true",
        "DJANGO_SECURE_COOKIES": "false",  # plain HTTP on loopback
        "DJANGO_ALLOW_DEMO_SECRETS": "true",
    }


def manage(env, *argv, check=True):
    return subprocess.run([sys.executable, "manage.py", *argv], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=120, check=check)


@pytest.fixture
def gunicorn(tmp_path):
    env = production_env(tmp_path)
    manage(env, "prepare")
    manage(env, "collectstatic", "--noinput")
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(gunicorn_argv(f"127.0.0.1:{port}", 1), cwd=PROJECT_DIR, env=env, stdout=log, stderr=log)

    def connected() -> http.client.HTTPConnection | None:
        assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.connect()
        except ConnectionRefusedError:
            return None
        return connection

    try:
        connection = wait_until(connected, timeout=30, message="gunicorn to accept a connection")
        yield connection
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def get(connection, path, **headers):
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response, response.read()


def test_gunicorn_serves_the_form_and_whitenoise_its_hashed_compressed_stylesheet_on_one_connection(gunicorn):
    page, body = get(gunicorn, "/")
    assert page.status == 200
    stylesheet = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body)
    assert stylesheet, "the page links the stylesheet under its hashed name"

    css, css_body = get(gunicorn, stylesheet[1].decode(), **{"Accept-Encoding": "gzip"})  # the same connection
    assert css.status == 200
    assert css.getheader("Content-Encoding") == "gzip"
    assert "immutable" in css.getheader("Cache-Control")  # a hashed name may be cached for ever
    assert css_body[:2] == b"\x1f\x8b"


def test_serve_refuses_to_start_a_demo_database_in_production(tmp_path):
    # The demo's admin, with its public password, in a database then started as production: check --deploy's
    # error (asyncpizza.E002) stops `serve` before gunicorn or a worker starts.
    manage({**os.environ, "DJANGO_SETTINGS_MODULE": "asyncpizza.settings", "ASYNCPIZZA_VAR_DIR": str(tmp_path),
            "DJANGO_DEBUG": "true"}, "prepare", "--demo-admin")
    env = {**production_env(tmp_path), "DJANGO_ALLOW_DEMO_SECRETS": "false", "DJANGO_SECRET_KEY": "k" * 60,
           "SHOP_WEBHOOK_SECRET": "w" * 40, "API_CALLBACK_SECRET": "c" * 40}
    result = manage(env, "serve", "--bind", f"127.0.0.1:{free_port()}", check=False)
    assert result.returncode != 0
    assert "asyncpizza.E002" in result.stderr  # what check --deploy found, for the person starting it


def test_serve_refuses_debug(tmp_path):
    result = manage({**production_env(tmp_path), "DJANGO_DEBUG": "true"}, "serve", "--bind", f"127.0.0.1:{free_port()}",
                    check=False)
    assert result.returncode != 0
    assert "DJANGO_DEBUG is on" in result.stderr


def test_debug_is_off_unless_the_environment_turns_it_on(tmp_path):
    env = {key: value for key, value in production_env(tmp_path).items() if key != "DJANGO_DEBUG"}
    read = [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"]
    off = subprocess.run(read, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60, check=True)
    on = subprocess.run(read, cwd=PROJECT_DIR, env={**env, "DJANGO_DEBUG": "true"}, capture_output=True, text=True,
                        timeout=60, check=True)
    assert (off.stdout.strip(), on.stdout.strip()) == ("False", "True")


def test_a_fresh_checkout_runs_the_demo_commands_as_written(tmp_path):
    # A new user types `python manage.py prepare` and `storemode sync` with nothing in the environment: the
    # checkout is the demo, so they work; the same checkout given a secret key is a deployment, with DEBUG off.
    bare = {key: value for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "SHOP_", "API_CALLBACK"))}
    bare["ASYNCPIZZA_VAR_DIR"] = str(tmp_path)
    manage(bare, "prepare")
    assert "sync" in manage(bare, "storemode", "sync").stdout
    read_debug = ["shell", "-c", "from django.conf import settings; print(settings.DEBUG)"]
    assert manage(bare, *read_debug).stdout.splitlines()[-1] == "True"
    deployed = manage({**bare, "DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOW_DEMO_SECRETS": "true"}, *read_debug)
    assert deployed.stdout.splitlines()[-1] == "False"

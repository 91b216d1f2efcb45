#!/usr/bin/env python
"""Django's command-line utility for Async Pizza."""
import os
import sys

# The production profile refuses DEBUG; every other command of a checkout may be the demo's.
PRODUCTION_COMMANDS = {"serve"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asyncpizza.settings")
    # DEBUG is off in the settings (and so under gunicorn). A checkout whose environment sets no secret key is
    # the one-machine demo: there manage.py turns DEBUG on, so that `manage.py prepare`, `storemode`,
    # `scenario`, `policy`, … work as written beside `make demo`. A deployment sets DJANGO_SECRET_KEY (and
    # DJANGO_DEBUG=0), and `serve` never gets DEBUG from here.
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if not os.environ.get("DJANGO_SECRET_KEY") and command not in PRODUCTION_COMMANDS:
        os.environ.setdefault("DJANGO_DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

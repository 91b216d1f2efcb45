#!/usr/bin/env python
"""Django's command-line utility for Async Pizza."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asyncpizza.settings")
    if sys.argv[1:2] == ["demo"]:
        # The demo is the one place DEBUG is on by default (with its public secrets); its three processes
        # inherit it. Everything else runs with DEBUG off unless DJANGO_DEBUG says otherwise.
        os.environ.setdefault("DJANGO_DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""`runserver` as Django's (with staticfiles' static serving, autoreload and all its options), with
TCP_NODELAY on every connection it accepts, so a kept-alive request does not wait 40 ms for the client's
delayed ACK (see core.tcp). The asyncpizza app is listed before django.contrib.staticfiles, so this
command is the one `manage.py runserver` finds."""

from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserver
from django.core.servers.basehttp import WSGIServer

from core.tcp import NoDelayServerMixin


class NoDelayWSGIServer(NoDelayServerMixin, WSGIServer):
    """Django's development server; runserver adds its threading mix-in on top, as it does to its own."""


class Command(StaticfilesRunserver):
    server_cls = NoDelayWSGIServer

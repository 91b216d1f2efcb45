"""Both development servers (the app's runserver, the shop simulator's) send every write of a response at
once (TCP_NODELAY on each accepted connection): without it a request on a kept-alive connection waits for the
client's delayed ACK, 40 ms (bench/keepalive.py measures it)."""

import socket
import socketserver
from contextlib import closing

import pytest
from django.core.management import get_commands, load_command_class
from django.core.servers.basehttp import WSGIRequestHandler

from shop.server import Address, make_server


def accepted_socket_has_nodelay(server) -> bool:
    """Connect to `server`, let it accept, and read the option on the server's side of the connection."""
    try:
        with socket.create_connection(server.server_address[:2], timeout=5):
            connection, _ = server.get_request()
            with closing(connection):
                return bool(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    finally:
        server.server_close()


def runserver_command():
    return load_command_class(get_commands()["runserver"], "runserver")


def test_the_shop_simulators_server_sets_tcp_nodelay_on_each_connection():
    assert accepted_socket_has_nodelay(make_server(Address("127.0.0.1", 0)))


@pytest.mark.parametrize("threaded", [False, True])
def test_the_apps_runserver_sets_tcp_nodelay_on_each_connection(threaded):
    server_cls = runserver_command().server_cls
    if threaded:  # what django.core.servers.basehttp.run builds from it by default
        server_cls = type("WSGIServer", (socketserver.ThreadingMixIn, server_cls), {})
    server = server_cls(("127.0.0.1", 0), WSGIRequestHandler)
    assert accepted_socket_has_nodelay(server)


def test_runserver_keeps_the_static_files_of_django_contrib_staticfiles():
    # Our runserver must be the one manage.py finds, and still serve /static/ like staticfiles' own.
    command = runserver_command()
    assert command.__module__ == "asyncpizza.management.commands.runserver"
    parser = command.create_parser("manage.py", "runserver")
    assert parser.parse_args(["--insecure", "--nostatic"]).use_static_handler is False

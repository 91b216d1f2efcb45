"""The notification's connection goes to the checked address and nowhere else: over HTTPS the name in the
URL is still what the TLS handshake sends (SNI) and what the certificate must match, and a redirect is not
followed (the notification is not delivered by an answer that points elsewhere).

Real servers on loopback; the certificates are made for the test by the openssl command line tool (a CA,
and a leaf certificate for each name)."""

import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.models import CallbackDelivery, DeliveryState
from api.notifications import notify_callback
from api.pinned_http import pinned_session

from .receiver import CallbackReceiver
from .test_destinations import confirmed_order_for

NAME = "hooks.example"  # exists in no DNS: only the test's resolver knows it


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    for name in (NAME, "other.example"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN={name}")
        (folder / f"{name}.ext").write_text(f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
    return folder


class LoopbackServer:
    """A server on 127.0.0.1 answering every POST with `status` (and `location`, for a redirect); with a
    certificate's name, over HTTPS, recording the SNI it was sent. `requests`: each request's Host header."""

    def __init__(self, *, certificates=None, name: str = "", status: int = 204, location: str = ""):
        self.sni, self.requests = [], []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append(self.headers["Host"])
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if name:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certificates / f"{name}.pem", certificates / f"{name}.key")
            context.sni_callback = lambda sock, sent_name, ctx: self.sni.append(sent_name)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]

    def __enter__(self):
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def name_on_loopback(settings, monkeypatch):
    """NAME resolves to 127.0.0.1; allow(port) opts NAME:port in, as an operator would."""
    settings.API_CALLBACK_ALLOW_PRIVATE = False
    settings.API_CALLBACK_ALLOWED_HOSTS = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == NAME:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def allow(port: int) -> None:
        settings.API_CALLBACK_ALLOWED_HOSTS = [(NAME, port)]

    return allow


def test_https_to_the_pinned_address_sends_the_name_as_sni_and_checks_the_certificate_for_it(
    certificates, name_on_loopback
):
    with LoopbackServer(certificates=certificates, name=NAME) as server:
        name_on_loopback(server.port)
        answer = pinned_session().post(f"https://{NAME}:{server.port}/hook", data=b"{}", timeout=5,
                                       verify=str(certificates / "ca.pem"), allow_redirects=False)
    assert answer.status_code == 204
    assert server.sni == [NAME] and server.requests == [f"{NAME}:{server.port}"]


def test_a_certificate_for_another_name_is_refused_at_the_pinned_address(certificates, name_on_loopback):
    import requests

    with LoopbackServer(certificates=certificates, name="other.example") as server, pytest.raises(requests.exceptions.SSLError,
                                                                           match="doesn't match"):
        name_on_loopback(server.port)
        pinned_session().post(f"https://{NAME}:{server.port}/hook", data=b"{}", timeout=5,
                              verify=str(certificates / "ca.pem"), allow_redirects=False)
    assert server.requests == []


@pytest.mark.django_db
def test_a_redirect_is_not_followed(settings, menu):
    settings.API_CALLBACK_ALLOW_PRIVATE = False
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET) as elsewhere:
        # Both allowed, so that only not following the redirect keeps the second receiver silent.
        with LoopbackServer(status=307, location=elsewhere.url) as receiver:
            elsewhere_port = int(elsewhere.url.split(":")[2].split("/")[0])
            settings.API_CALLBACK_ALLOWED_HOSTS = [("localhost", receiver.port), ("127.0.0.1", elsewhere_port)]
            order = confirmed_order_for(menu, f"http://localhost:{receiver.port}/hooks/pizza")
            delivery = notify_callback(order.pk)
    delivery = CallbackDelivery.objects.get(pk=delivery.pk)
    assert len(receiver.requests) == 1 and elsewhere.requests() == []
    assert delivery.last_http_status == 307 and delivery.state == DeliveryState.PENDING and delivery.last_error

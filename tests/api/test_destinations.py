"""callback_url may not lead into the app's own network: every way of writing a non-public address is
refused, and the address checked is the address connected to. Only an explicit opt-in lets one through."""

import ipaddress
import socket
import subprocess
import sys

import pytest

from api.destinations import PrivateDestination, check_destination, resolve_destination
from api.forms import ApiOrderForm
from api.models import CallbackDelivery
from api.notifications import notify_callback
from orders.models import Order

from ..factories import make_order
from .helpers import fields_named, order_body, post_order
from .receiver import CallbackReceiver


@pytest.fixture
def no_opt_in(settings):
    """As the app runs by default, in the demo too (the test suite turns the flag on for its receivers)."""
    settings.API_CALLBACK_ALLOW_PRIVATE = False
    settings.API_CALLBACK_ALLOWED_HOSTS = []


REFUSED = [
    # IPv4 loopback in every notation the C library reads
    "http://127.0.0.1/", "http://127.0.0.1:8001/reset", "http://127.1/", "http://127.0.1/", "http://0/",
    "http://0.0.0.0/", "http://2130706433/", "http://0x7f000001/", "http://0x7f.0.0.1/", "http://0x7f.1/",
    "http://0177.0.0.1/", "http://017700000001/", "http://127.000.000.001/", "http://127.0.0.1./",
    "http://127.255.255.254/", "https://127.0.0.1/",
    # private, shared, link-local and special-purpose IPv4
    "http://10.0.0.5/", "http://172.16.0.1/", "http://172.31.255.255/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://100.127.255.254/",
    "http://192.0.0.8/", "http://192.0.0.170/", "http://192.0.0.9/", "http://192.0.2.1/", "http://198.18.0.1/",
    "http://198.19.255.255/", "http://198.51.100.7/", "http://203.0.113.9/", "http://192.88.99.1/",
    "http://224.0.0.1/", "http://239.255.255.250/", "http://240.0.0.1/", "http://255.255.255.255/",
    # IPv6 loopback, unspecified, and every form that carries or translates an IPv4 address
    "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/", "http://[::]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://[::ffff:10.0.0.1]/", "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:0.0.0.0]/", "http://[::127.0.0.1]/", "http://[::7f00:1]/", "http://[64:ff9b::127.0.0.1]/",
    "http://[64:ff9b::a00:1]/", "http://[64:ff9b::c0a8:101]/", "http://[64:ff9b:1::1]/", "http://[2002:7f00:1::]/",
    "http://[2002:c0a8:101::1]/", "http://[2002:a9fe:a9fe::1]/", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    # IPv6 link-local (with zone ids), unique-local, site-local, multicast, documentation, reserved
    "http://[fe80::1]/", "http://[fe80::1%25eth0]/", "http://[fe80::1%25lo]/", "http://[febf::1]/",
    "http://[fc00::1]/", "http://[fd12:3456:789a::1]/", "http://[fec0::1]/", "http://[ff02::1]/", "http://[ff0e::1]/",
    "http://[2001:db8::1]/", "http://[3fff::1]/", "http://[100::1]/", "http://[5f00::1]/", "http://[2001:2::1]/",
    "http://[2001:10::1]/", "http://[4000::1]/",
    # names that resolve to loopback, and URLs that only look like they go elsewhere
    "http://localhost/", "http://localhost:8001/reset", "http://LOCALHOST/", "http://localhost./",
    "http://example.com@127.0.0.1/", "http://127.0.0.1#@example.com/", "http://127.0.0.1:80\\@example.com/",
    # nothing to connect to
    "http:///path", "http://no-such-host.invalid/", "http://127.0.0.1:99999/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_every_way_of_writing_a_non_public_address_is_refused(no_opt_in, url):
    with pytest.raises(PrivateDestination):
        check_destination(url)


@pytest.mark.parametrize("url", [
    "http://93.184.215.14/hook", "https://93.184.215.14:8443/hook", "http://[2606:4700:4700::1111]/hook",
    "http://[::ffff:93.184.215.14]/hook",  # IPv4-mapped, of a public address
    "http://[64:ff9b::5db8:d70e]/hook",  # NAT64 of a public address
    "http://[2002:5db8:d70e::1]/hook",  # 6to4 of a public address
])
def test_public_addresses_are_allowed(no_opt_in, url):
    check_destination(url)  # resolving an IP literal asks no name server


def test_every_address_a_name_resolves_to_must_be_public(no_opt_in, monkeypatch):
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80)),
               (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 80, 0, 0))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(PrivateDestination, match="::1"):
        check_destination("http://mixed.example/hook")


def test_an_allowed_host_and_port_or_the_flag_lets_private_addresses_through(no_opt_in, settings):
    settings.API_CALLBACK_ALLOWED_HOSTS = [("127.0.0.1", 9000), ("::1", 9000), ("hooks.example", 80)]
    assert resolve_destination("http://127.0.0.1:9000/pizza-done").address == "127.0.0.1"
    assert resolve_destination("http://[::1]:9000/pizza-done").address == "::1"
    with pytest.raises(PrivateDestination):
        check_destination("http://localhost:9000/")  # allowed by the name written, not by what it resolves to
    settings.API_CALLBACK_ALLOW_PRIVATE = True
    check_destination("http://localhost:9000/")


def test_an_allowed_host_opens_only_the_port_named(no_opt_in, settings):
    settings.API_CALLBACK_ALLOWED_HOSTS = [("127.0.0.1", 9000)]
    for url in ("http://127.0.0.1:8001/reset", "http://127.0.0.1/reset", "https://127.0.0.1/reset"):
        with pytest.raises(PrivateDestination, match="not a public address"):
            check_destination(url)  # the shop on the same host, and the default ports


def test_the_port_of_an_allowed_entry_is_the_urls_default_when_it_names_none(no_opt_in, settings):
    settings.API_CALLBACK_ALLOWED_HOSTS = [("127.0.0.1", 443)]
    assert resolve_destination("https://127.0.0.1/hook").port == 443
    with pytest.raises(PrivateDestination):
        check_destination("http://127.0.0.1/hook")  # port 80


def settings_in_a_fresh_process(**environment) -> subprocess.CompletedProcess:
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'asyncpizza.settings'; django.setup(); "
            "from django.conf import settings as s; print(s.API_CALLBACK_ALLOWED_HOSTS)")
    return subprocess.run([sys.executable, "-c", code], env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", **environment},
                          capture_output=True, text=True)


def test_the_allowed_hosts_are_read_as_host_and_port_pairs():
    done = settings_in_a_fresh_process(API_CALLBACK_ALLOWED_HOSTS="127.0.0.1:9000, [::1]:9001,Hooks.Example:443")
    assert done.stdout.strip() == "[('127.0.0.1', 9000), ('::1', 9001), ('hooks.example', 443)]", done.stderr


@pytest.mark.parametrize("entry", ["127.0.0.1", "::1", "[::1]", "hooks.example:", "hooks.example:http", "h:70000"])
def test_an_entry_without_a_port_stops_the_start_and_says_why(entry):
    done = settings_in_a_fresh_process(API_CALLBACK_ALLOWED_HOSTS=entry)
    assert done.returncode != 0
    assert "API_CALLBACK_ALLOWED_HOSTS entries name a host and its port" in done.stderr
    assert f"not {entry!r}" in done.stderr


def test_callbacks_to_private_addresses_are_off_by_default_in_the_demo_too():
    # A fresh process with the demo's environment (DJANGO_DEBUG on, nothing else set).
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'asyncpizza.settings'; django.setup(); "
            "from django.conf import settings as s; print(s.DEBUG, s.API_CALLBACK_ALLOW_PRIVATE, s.API_CALLBACK_ALLOWED_HOSTS)")
    env = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False", "[]"]


@pytest.mark.django_db
def test_an_anonymous_order_cannot_aim_its_notification_at_the_shops_reset(no_opt_in, client, menu):
    response = post_order(client, order_body(callback_url="http://127.0.0.1:8001/reset"))
    assert response.status_code == 422 and fields_named(response) == ["callback_url"]
    assert "not a public address" in response.json()["errors"][0]["message"]
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_the_api_form_names_the_field(no_opt_in, menu):
    form = ApiOrderForm({"pizza": "margherita", "size": "small", "quantity": 1, "name": "A", "email": "a@example.com",
                         "address": "B", "callback_url": "http://[::ffff:127.0.0.1]:8001/reset"})
    assert not form.is_valid()
    assert "carries the IPv4 address 127.0.0.1" in form.errors["callback_url"][0]


def confirmed_order_for(menu, url) -> Order:
    from django.utils import timezone

    order = make_order(menu, callback_url=url)
    order.begin_attempt(now=timezone.now())
    order.confirm(shop_order_id="SHOP-1", now=timezone.now())
    return order


@pytest.mark.django_db
def test_a_name_resolving_to_loopback_is_refused_at_connect_time_too(no_opt_in, settings, menu):
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        # Stored as if it had been allowed when the order came in; at the POST it leads to loopback.
        order = confirmed_order_for(menu, f"http://localhost:{port}/hooks/pizza")
        delivery = notify_callback(order.pk)
    assert receiver.requests() == []
    delivery = CallbackDelivery.objects.get(pk=delivery.pk)
    assert delivery.last_http_status is None and delivery.last_error.startswith("refused:")
    assert "'localhost' leads to 127.0.0.1" in delivery.last_error or "'localhost' leads to ::1" in delivery.last_error


@pytest.mark.django_db
def test_the_notification_connects_to_the_address_checked_with_one_look_up(no_opt_in, settings, menu, monkeypatch):
    # "hooks.example" exists in no DNS: the POST can reach the receiver only at the address checked, so a
    # second look-up between check and connect would fail the request.
    look_ups, real_getaddrinfo = [], socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            look_ups.append(host)
        else:  # an IP literal: the connection's own call, which reads the number and asks no name server
            return real_getaddrinfo(host, port, *args, **kwargs)
        if host != "hooks.example":
            raise socket.gaierror(socket.EAI_NONAME, "not in this test's DNS")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        settings.API_CALLBACK_ALLOWED_HOSTS = [("hooks.example", int(port))]
        order = confirmed_order_for(menu, f"http://hooks.example:{port}/hooks/pizza")
        look_ups.clear()
        delivery = notify_callback(order.pk)
    assert CallbackDelivery.objects.get(pk=delivery.pk).last_http_status == 204
    [notice] = receiver.requests()
    assert notice.headers["Host"] == f"hooks.example:{port}" and notice.signature_ok
    assert look_ups == ["hooks.example"]

"""Fixtures shared by the whole suite: the menu, the real shop simulator, a real SMTP server, and a real
django-q2 worker cluster, all on loopback."""

import pytest
from django.conf import settings

from orders.menu import load_menu
from orders.models import Pizza
from workflow.shop_client import ShopClient

from .support.cluster import WorkerCluster
from .support.queue_health import heartbeat, probe_back
from .support.relay import WebhookRelay
from .support.shop_process import ShopProcess
from .support.smtp import SMTPServer


@pytest.fixture
def menu(db):
    load_menu()
    return {pizza.slug: pizza for pizza in Pizza.objects.all()}


@pytest.fixture
def answering_cluster(db, monkeypatch):
    """For tests without a real cluster: one with a fresh heartbeat whose probe came back a second ago."""
    cluster = heartbeat(monkeypatch)
    probe_back(1)
    return cluster


@pytest.fixture(scope="session")
def shop_process():
    shop = ShopProcess().start()
    yield shop
    shop.stop()


@pytest.fixture
def shop(shop_process, settings):
    """The real shop simulator, reset to its defaults, and the app pointed at it, with its control token and
    its client key."""
    shop_process.reset()
    settings.SHOP_URL = shop_process.url
    settings.SHOP_CONTROL_TOKEN = shop_process.control_token
    settings.SHOP_API_KEY = shop_process.api_key
    yield shop_process
    shop_process.reset()


@pytest.fixture
def shop_client(shop):
    return ShopClient(shop.url, connect_timeout_s=1, read_timeout_s=settings.SHOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """Mail from this process goes to the real SMTP server too."""
    smtp_server.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    return smtp_server


@pytest.fixture(scope="session")
def webhook_relay():
    relay = WebhookRelay().start()
    yield relay
    relay.stop()


@pytest.fixture(scope="session")
def worker_cluster(django_db_setup, django_db_blocker, shop_process, smtp_server, webhook_relay, tmp_path_factory):
    cluster = WorkerCluster(
        shop_url=shop_process.url,
        smtp_port=smtp_server.port,
        log_path=tmp_path_factory.mktemp("cluster") / "qcluster.log",
        # In its callback mode the shop calls the app back through the relay (see support/relay.py).
        extra_env={
            "SHOP_CALLBACK_URL": f"{webhook_relay.url}/webhooks/shop",
            "SHOP_CONTROL_TOKEN": shop_process.control_token,
            "SHOP_API_KEY": shop_process.api_key,
        },
    ).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster(worker_cluster, transactional_db, shop, smtp, menu, request):
    """A running worker cluster, with the shop reset, the SMTP server emptied and the menu loaded.

    Committed data is what the cluster sees, so these tests use transactional_db. When the test fails, its
    report carries the cluster's diagnosis (its processes and their stacks, the queue, the open orders, the
    log), and the cluster is restarted, so that a cluster left stuck does not fail the tests after it.
    """
    if worker_cluster.process.poll() is not None:
        pytest.fail(f"the worker cluster has stopped:\n{worker_cluster.log_tail()}")
    failed_before = request.session.testsfailed
    yield worker_cluster
    if request.session.testsfailed > failed_before:
        print(worker_cluster.diagnosis())
        worker_cluster.stop()
        worker_cluster.start()


@pytest.fixture
def cluster_stopped_for_a_while(cluster):
    """The running cluster; `stop()` on the yielded object stops it, and it is started again after the test."""
    yield cluster
    if cluster.process.poll() is not None:
        cluster.start()


def pytest_collection_modifyitems(config, items):
    """Tests that need the session's worker cluster run last, in every xdist process too (pytest-xdist hands
    the tests out in this order). Once started, the cluster keeps running: it takes the jobs a test commits and
    sends its queue probe every few seconds, so a test that reads the queue must not run after it starts.
    Within each group the slow tests (`@pytest.mark.slow`) go first: handed out last, one would end the run
    alone while the other processes sit idle."""
    items.sort(key=lambda item: ("worker_cluster" in getattr(item, "fixturenames", ()),
                                 item.get_closest_marker("slow") is None))

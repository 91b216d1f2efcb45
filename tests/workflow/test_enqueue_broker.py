"""With Redis as django-q2's broker, orders placed one after another share one Redis connection: django-q2's
own async_task opens a new client (a new TCP connection) for every task it queues."""

import shutil
import subprocess

import pytest
import redis
from django_q.conf import Conf

from tests.factories import make_order
from tests.support.ports import free_port
from tests.support.waiting import wait_until
from workflow import attempt
from core.broker import _redis_broker


@pytest.fixture
def redis_server(tmp_path):
    """A Redis server of this test's own on a free loopback port, so its connection count is ours alone."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        wait_until(lambda: answers(client), timeout=10, interval=0.05, message=f"redis-server on port {port}")
        yield f"redis://127.0.0.1:{port}/0", client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def answers(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def connections_received(client) -> int:
    return client.info("stats")["total_connections_received"]


@pytest.mark.django_db
def test_orders_queued_on_redis_reuse_one_connection(menu, redis_server, settings, monkeypatch, django_capture_on_commit_callbacks):
    url, client = redis_server
    settings.REDIS_URL = url
    monkeypatch.setattr(Conf, "REDIS", url)
    monkeypatch.setattr(Conf, "ORM", None)  # the suite runs on the ORM broker; this test is about Redis
    monkeypatch.setattr(Conf, "BROKER_CLASS", None)  # ours (WakingORM) is set only without Redis
    _redis_broker.cache_clear()
    orders = [make_order(menu) for _ in range(5)]
    before = connections_received(client)

    for order in orders:
        with django_capture_on_commit_callbacks(execute=True):
            attempt.enqueue_store_order(order)

    assert client.llen(f"django_q:{Conf.CLUSTER_NAME}:q") == 5  # every task is queued
    # The test's own client made one connection, which `before` already counted; the queue's is at most one.
    assert connections_received(client) - before <= 1
    _redis_broker.cache_clear()

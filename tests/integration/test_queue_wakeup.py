"""The ORM broker is woken when a job commits (core/broker.py WakingORM, core/wakeup.py), and never ahead of it.

On SQLite (the suite's database) with a real cluster whose poll is long (Q_POLL_S=6): an order committed while
the cluster idles starts well before a poll could have found it; a wake-up lost or sent before the commit still
leaves the order to the poll; a rolled-back order wakes nobody and queues nothing. On PostgreSQL (a database
of its own, the web and a cluster of bench.stack): the job is announced only once its order commits, never on
rollback, and committed orders start well before the poll.
"""

import ast
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import psycopg
import pytest
from django.db import transaction

from core import wakeup
from core.broker import WakingORM
from core.queue import queued_rows
from orders.models import Order, Pizza
from workflow.models import QueueProbe
from workflow.start import place_order

from ..support.cluster import WorkerCluster, cluster_idles
from ..support.postgres import scratch_database
from ..support.waiting import wait_until

POLL_S = 6  # long, so that a pickup well under it can only be a wake-up's
WOKEN_WITHIN = timedelta(seconds=2)
POSTGRES = os.environ.get("SCALE_OUT_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def new_order(n: int) -> Order:
    return place_order(pizza=Pizza.objects.get(slug="margherita"), size="medium", quantity=1, name=f"Wake {n}",
                       email=f"wake{n}@example.com", address="1 Loop Road").order


def pickup(order: Order, timeout: float) -> timedelta:
    """From the order's creation to its first attempt's start, once a worker has started it."""
    wait_until(lambda: order.attempts.exists(), timeout=timeout, interval=0.02, message=f"order {order.pk} picked up")
    return order.attempts.earliest("started_at").started_at - Order.objects.get(pk=order.pk).created_at


@pytest.fixture
def listener(no_other_cluster, transactional_db):
    """A wake-up listener on the test database's queue, as a cluster's broker has one."""
    waiting = wakeup.listener(wakeup.queue_topic(WakingORM().list_key), "default")
    assert isinstance(waiting, wakeup.SocketListener)
    waiting.drain()
    yield waiting
    waiting.close()


def test_the_cluster_uses_the_waking_broker(settings):
    assert settings.Q_CLUSTER["broker_class"] == "core.broker.WakingORM"
    assert settings.Q_CLUSTER["poll"] == settings.Q_POLL_S


def test_a_job_wakes_the_queue_only_once_its_order_commits(listener, menu):
    with transaction.atomic():
        new_order(1)
        assert queued_rows().count() == 1
        assert not listener.wait(0.3)  # not while the job is invisible to a worker
    assert listener.wait(2)


def test_a_rolled_back_order_wakes_nobody_and_queues_nothing(listener, menu):
    with pytest.raises(RuntimeError), transaction.atomic():
        new_order(2)
        raise RuntimeError("the order's transaction fails after the job was queued")
    assert not Order.objects.exists()
    assert queued_rows().count() == 0
    assert not listener.wait(0.5)


# The queue probe's own wake-ups (every QUEUE_PROBE_INTERVAL_S) would make the pusher look often enough to hide
# whether a job's own wake-up works: once an hour here.
QUIET = {"Q_POLL_S": str(POLL_S), "QUEUE_PROBE_INTERVAL_S": "3600"}


@pytest.fixture
def slow_polling_cluster(no_other_cluster, transactional_db, shop, smtp, menu, tmp_path):
    """A cluster with a 6 s poll, in place of the suite's, idling: its start-up over."""
    # The suite's cluster may have sent a probe within QUIET's interval, which would keep this one from
    # sending the first probe that tells its start-up is over.
    QueueProbe.objects.all().delete()
    cluster = WorkerCluster(shop_url=shop.url, smtp_port=smtp.port, log_path=tmp_path / "qcluster.log",
                            extra_env=QUIET).start()
    try:
        # The pusher makes its listener before its first query, so a probe back means it listens too.
        wait_for_the_cluster_to_idle(cluster)
        yield cluster
    finally:
        cluster.stop()


def wait_for_the_cluster_to_idle(cluster: WorkerCluster) -> None:
    try:
        wait_until(cluster_idles, timeout=60, message="the cluster to idle (its first probe back, its queue empty)")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{cluster.log_tail()}") from None


@pytest.mark.cluster
def test_an_order_committed_while_the_cluster_idles_is_picked_up_at_once(slow_polling_cluster):
    # Three in a row, each well under the 6 s poll: by the poll alone, (2/6)^3 = 4 % would be this quick.
    for n in range(3):
        assert pickup(new_order(10 + n), timeout=30) < WOKEN_WITHIN, slow_polling_cluster.log_tail()
        wait_for_the_cluster_to_idle(slow_polling_cluster)  # the order's jobs done: the next comes to an idle one


@pytest.mark.cluster
def test_a_lost_wake_up_leaves_the_order_to_the_poll_and_the_next_one_wakes_again(slow_polling_cluster):
    directory = wakeup.socket_directory("default")
    for socket_file in directory.iterdir():
        socket_file.unlink()  # the cluster's socket is gone: this order's wake-up reaches nobody
    lost = new_order(20)
    assert pickup(lost, timeout=POLL_S + 20) > timedelta(0)  # picked up all the same
    # At its poll the broker noticed its socket was gone and bound it again.
    wait_until(lambda: wakeup.ring(directory) > 0, timeout=10, message="the cluster listening again")
    assert pickup(new_order(21), timeout=30) < WOKEN_WITHIN


@pytest.mark.cluster
def test_a_wake_up_sent_before_the_commit_hides_no_job(slow_polling_cluster, monkeypatch):
    directory = wakeup.socket_directory("default")
    with transaction.atomic():
        early = new_order(30)
        wakeup.ring(directory)  # the cluster looks now, before the job is visible
        # A look that finds nothing leaves no trace to wait for. A woken broker looks at once, within one
        # turn of its pusher's loop, which an idle pusher ends every WAIT_SLICE_S at the latest: two slices
        # leave room for a loaded machine. Were it to look only after the commit, it would find the job then,
        # and this test would pass without showing the poll at work: never fail wrongly.
        time.sleep(2 * WakingORM.WAIT_SLICE_S)
        assert not early.attempts.exists()
        monkeypatch.setattr(wakeup, "ring", lambda *args: None)  # and no wake-up at the commit
    # The job is there all the same; the poll finds it.
    assert pickup(early, timeout=POLL_S + 20) > timedelta(0)


@pytest.fixture
def postgres_database():
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
    except psycopg.Error as error:
        pytest.skip(f"PostgreSQL is not running here: {error}")
    with scratch_database(POSTGRES, "asyncpizza_wakeup") as url:
        yield url


# Run with manage.py shell on the PostgreSQL database, beside a cluster listening there. Checks on the queue's
# channel that a job is announced only once its order commits and never when it rolls back (by the job's id: the
# cluster's own jobs, a mail or a sweep, are announced there too), then prints the pickups (s) of orders committed
# one at a time.
POSTGRES_SCRIPT = """
import time
import psycopg
from django.db import connection, transaction
from core import wakeup
from core.broker import WakingORM
from orders.models import Pizza
from workflow.start import place_order
from tests.support.cluster import cluster_idles
from tests.support.waiting import wait_until

jobs = []
enqueue = WakingORM.enqueue
WakingORM.enqueue = lambda self, task: jobs.append(enqueue(self, task)) or jobs[-1]
channel = psycopg.connect(**connection.get_connection_params(), autocommit=True)
channel.execute(f'LISTEN "{wakeup.queue_topic(WakingORM().list_key).channel}"')

def heard(job, timeout):
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if any(n.payload == str(job) for n in channel.notifies(timeout=left, stop_after=1)):
            return True
    return False

def new_order(n):
    return place_order(pizza=Pizza.objects.get(slug="margherita"), size="medium", quantity=1, name=f"Wake {n}",
                       email=f"wake{n}@example.com", address="1 Loop Road").order

def picked_up(order):
    wait_until(lambda: order.attempts.exists(), timeout=30, interval=0.02, message=f"order {order.pk} picked up")
    return (order.attempts.earliest("started_at").started_at - order.created_at).total_seconds()

try:
    with transaction.atomic():
        new_order(100)
        raise RuntimeError
except RuntimeError:
    pass
assert not heard(jobs[-1], 0.5), "a rolled-back order announced its job"
with transaction.atomic():
    new_order(101)
    assert not heard(jobs[-1], 0.3), "announced before the commit"
assert heard(jobs[-1], 2), "not announced at the commit"
print("announced at commit only")
wait_until(cluster_idles, timeout=60, message="the cluster to idle")  # the orders to time come to an idle one
print("pickups", [round(picked_up(new_order(n)), 3) for n in range(3)])
"""


@pytest.mark.cluster
def test_on_postgres_a_committed_order_is_picked_up_at_once_and_a_rolled_back_one_wakes_nobody(postgres_database):
    from bench.stack import ROOT, Stack

    with Stack(f"wakeup-{uuid.uuid4().hex[:8]}", DATABASE_URL=postgres_database, **QUIET) as stack:
        done = subprocess.run([sys.executable, "manage.py", "shell", "-c", POSTGRES_SCRIPT], cwd=ROOT,
                              env=stack.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    pickups = ast.literal_eval(done.stdout.split("pickups", 1)[1].splitlines()[0].strip())
    assert all(seconds < WOKEN_WITHIN.total_seconds() for seconds in pickups), pickups
    assert "announced at commit only" in done.stdout

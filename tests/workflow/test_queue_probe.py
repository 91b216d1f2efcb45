"""The queue probe's record and its rules, on both brokers, without a cluster: one probe at a time waits in
the broker, a lost one is replaced (and removed from the broker), and the age is counted from the last one
that came back. The cluster's side is in tests/integration/test_queue_probe_cluster.py."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from core.broker import _redis_broker
from workflow.models import QueueProbe
from workflow.queue_probe import (
    forget_outstanding_probe, probe_age_seconds, probe_reading, queue_probe_task, record_probe_returned, send_probe,
)

from ..support.redis_db import scale_out_redis

pytestmark = pytest.mark.django_db

REDIS_URL = scale_out_redis()  # flushed: this xdist process's own


def queued_probes() -> list[dict]:
    return [SignedPackage.loads(payload) for payload in OrmQ.objects.values_list("payload", flat=True)]


def run(package: dict) -> None:
    """What a worker does with the package: call the function with its arguments."""
    assert package["func"] == "workflow.queue_probe.queue_probe_task"
    queue_probe_task(*package["args"])


def test_no_probe_sent_means_no_age():
    assert probe_age_seconds() is None
    assert not probe_reading().stale


def test_a_probe_waits_in_the_broker_alone_until_it_comes_back(settings):
    settings.QUEUE_PROBE_INTERVAL_S = 2
    start = timezone.now()
    first = send_probe(now=start)
    assert first is not None
    [package] = queued_probes()
    assert package["args"][0] == first and package["save"] is False
    # Still in line an hour later: nothing is added behind it, however long the queue is stuck.
    for minutes in (0, 1, 60):
        assert send_probe(now=start + timedelta(minutes=minutes, seconds=1)) is None
    assert len(queued_probes()) == 1
    assert probe_age_seconds(now=start + timedelta(seconds=40)) == pytest.approx(40)
    assert probe_reading(now=start + timedelta(seconds=40)).stale

    back_at = start + timedelta(seconds=41)
    record_probe_returned(first, package["args"][1], now=back_at)
    OrmQ.objects.all().delete()  # acknowledged
    reading = probe_reading(now=back_at + timedelta(seconds=1))
    assert reading.age_s == pytest.approx(1) and not reading.stale and not reading.outstanding
    assert reading.round_trip_s == pytest.approx((back_at - package["args"][1]).total_seconds())
    # Back: the next one goes once the interval has passed since the last was sent.
    assert send_probe(now=back_at + timedelta(seconds=1)) is not None


def test_the_interval_holds_between_probes_that_come_back(settings):
    settings.QUEUE_PROBE_INTERVAL_S = 5
    start = timezone.now()
    first = send_probe(now=start)
    [package] = queued_probes()
    run(package)
    OrmQ.objects.all().delete()
    assert send_probe(now=start + timedelta(seconds=4)) is None
    assert send_probe(now=start + timedelta(seconds=5)) not in (None, first)


def test_a_probe_taken_and_never_back_is_replaced_after_the_lost_bound(settings):
    settings.QUEUE_PROBE_LOST_AFTER_S = 20
    start = timezone.now()
    first = send_probe(now=start)
    # A worker pulled it (the ORM broker locks the row until `retry` has passed) and died or froze.
    OrmQ.objects.update(lock=start + timedelta(seconds=Conf.RETRY))
    assert send_probe(now=start + timedelta(seconds=19)) is None
    second = send_probe(now=start + timedelta(seconds=20))
    assert second not in (None, first)
    [package] = queued_probes()  # the lost one is gone from the broker: it cannot be handed out again
    assert package["args"][0] == second
    # The first comes back late after all: the queue moved, but the second is still awaited.
    record_probe_returned(first, start, now=start + timedelta(seconds=21))
    reading = probe_reading(now=start + timedelta(seconds=22))
    assert reading.age_s == pytest.approx(1) and reading.outstanding
    run(package)
    assert not probe_reading().outstanding


def test_a_late_probe_never_hides_the_one_that_came_back():
    start = timezone.now()
    first = send_probe(now=start)
    OrmQ.objects.update(lock=start + timedelta(seconds=Conf.RETRY))
    second = send_probe(now=start + timedelta(seconds=30))
    record_probe_returned(second, start + timedelta(seconds=30), now=start + timedelta(seconds=31))
    record_probe_returned(first, start, now=start + timedelta(seconds=32))
    assert not probe_reading().outstanding


def test_age_counts_from_the_first_probe_when_none_ever_came_back():
    start = timezone.now()
    send_probe(now=start)
    OrmQ.objects.update(lock=start + timedelta(seconds=Conf.RETRY))
    send_probe(now=start + timedelta(seconds=30))  # a replacement does not restart the count
    assert probe_age_seconds(now=start + timedelta(seconds=45)) == pytest.approx(45)


def test_only_one_of_two_senders_with_the_same_view_sends():
    start = timezone.now()
    QueueProbe.objects.create(pk=1)
    stale_view = QueueProbe.objects.get(pk=1)
    assert send_probe(now=start) is not None
    # A second cluster that read the row before the first one sent: its compare-and-set finds it changed.
    assert QueueProbe.objects.filter(pk=1, sent_id=stale_view.sent_id).update(sent_id="x") == 0
    assert len(queued_probes()) == 1


def test_forgetting_the_outstanding_probe_sends_a_new_one_at_once():
    start = timezone.now()
    first = send_probe(now=start)
    forget_outstanding_probe()
    assert OrmQ.objects.count() == 0
    assert send_probe(now=start + timedelta(seconds=1)) not in (None, first)


@pytest.fixture
def redis_broker(settings, monkeypatch):
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    client.flushdb()
    settings.REDIS_URL = REDIS_URL
    monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "BROKER_CLASS", None)  # ours (WakingORM) is set only without Redis
    _redis_broker.cache_clear()
    yield client
    client.flushdb()
    _redis_broker.cache_clear()


def test_on_redis_one_probe_waits_and_a_lost_one_is_replaced(redis_broker, settings):
    settings.QUEUE_PROBE_LOST_AFTER_S = 20
    broker = _redis_broker(REDIS_URL)
    start = timezone.now()
    first = send_probe(now=start)
    assert first is not None and broker.queue_size() == 1
    assert send_probe(now=start + timedelta(minutes=5)) is None  # still in line
    assert broker.queue_size() == 1
    # A cluster's pusher took it (and died with it: Redis never hands it out again).
    [(_, taken)] = broker.dequeue()
    assert send_probe(now=start + timedelta(seconds=19)) is None
    second = send_probe(now=start + timedelta(seconds=20))
    assert second not in (None, first) and broker.queue_size() == 1
    [(_, package)] = broker.dequeue()
    run(SignedPackage.loads(package))
    assert not probe_reading().outstanding and probe_age_seconds() < 5
    run(SignedPackage.loads(taken))  # the lost one, back after all: nothing breaks
    assert not probe_reading().outstanding


def test_a_probe_that_cannot_be_sent_is_logged_and_the_loop_goes_on(settings, monkeypatch, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    monkeypatch.setattr(Conf, "REDIS", settings.REDIS_URL)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "BROKER_CLASS", None)  # ours (WakingORM) is set only without Redis
    _redis_broker.cache_clear()
    try:
        from workflow.queue_probe import send_probe_or_log

        QueueProbe.objects.create(pk=1, sent_id="p1", sent_at=timezone.now() - timedelta(minutes=5), broker_entry="x")
        assert send_probe_or_log() is None
        assert "queue probe not sent (ConnectionError" in caplog.text
    finally:
        _redis_broker.cache_clear()

"""core.broker.WakingORM on its own, in this process (the cluster's pusher calls `dequeue` in a loop):
without a working listener it still finds a committed job at its poll, and an idle wait never holds the pusher
(and so a stop) longer than half a second, however long the poll."""

import time
import uuid

import pytest
from django_q.conf import Conf
from django_q.signing import SignedPackage

from core import wakeup
from core.broker import WakingORM

pytestmark = pytest.mark.django_db(transaction=True)


def own_queue() -> WakingORM:
    """A broker on a queue of this test's own: a cluster of the suite running meanwhile (its queue probe, its
    pusher) neither fills it nor empties it."""
    return WakingORM(list_key=f"test-{uuid.uuid4().hex[:8]}")


class BrokenListener:
    """A LISTEN connection that has died: every use raises, as PostgresListener does then."""

    closed = False

    def drain(self):
        raise OSError("LISTEN connection lost: server closed the connection unexpectedly")

    def wait(self, timeout):
        raise OSError("LISTEN connection lost: server closed the connection unexpectedly")

    def close(self):
        self.closed = True


def pull(broker, seconds):
    """What the pusher does: call dequeue until it hands out a job, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if jobs := broker.dequeue():
            return jobs
    return None


def test_a_broken_listener_loses_no_job_the_poll_finds_it(monkeypatch):
    monkeypatch.setattr(Conf, "POLL", 0.3)
    broken = BrokenListener()
    monkeypatch.setattr(wakeup, "listener", lambda topic, using: broken)
    broker = own_queue()
    assert broker.dequeue() is None  # the queue is empty: the listener breaks, the broker goes on
    job_id = broker.enqueue(SignedPackage.dumps({"id": "job-1", "func": "math.floor", "args": (1.5,)}))

    [(claimed_id, _payload)] = pull(broker, seconds=5)
    assert claimed_id == job_id
    assert broken.closed


def test_an_idle_wait_returns_to_the_pusher_within_half_a_second_whatever_the_poll(monkeypatch):
    monkeypatch.setattr(Conf, "POLL", 30)
    broker = own_queue()
    assert broker.dequeue() is None  # queries the empty queue; the next call waits for a wake-up or the poll
    started = time.monotonic()
    assert broker.dequeue() is None
    assert time.monotonic() - started < 1.5  # one slice (0.5 s), not the 30 s poll: the pusher sees a stop

"""Any process of the worker cluster may die (kill -9) and the orders go on, without a restart from outside.

Each test kills one kind of process of the real cluster (`manage.py qcluster`, tests/support/cluster.py),
then places orders through the form and requires them confirmed within PROMISE_S of the kill, each once at
the shop (its ledger's `received` count) and mailed once (the real SMTP server). django-q2 alone
reincarnates the dead process but its queues stay locked by it (docs/ARCHITECTURE.md, "When a cluster
process dies"): before core.cluster these orders were never confirmed.
"""

import os
import signal
import time

import pytest

from django.conf import settings as django_settings
from django_q.models import Task
from django_q.tasks import async_task

from bench.cluster_processes import is_dead, process_tree
from core.queue import task_group, task_path
from orders.models import Order, OrderStatus
from workflow.attempt import store_order_task
from workflow.models import AttemptOutcome

from ..support import slow_import_marker
from ..support.waiting import wait_until
from .test_cluster_flow import order_through_the_form, wait_for_final

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

PROMISE_S = 15  # README, "Reliability": processing resumes within 15 s of a process's death


def kill(pid: int | None, what: str) -> float:
    """SIGKILL it; returns when it was sent, once the process and those that die with it (a sentinel's) are
    dead: an order placed before that is placed before the death, as far as the cluster can tell."""
    assert pid, f"no {what} found"
    dying = process_tree(pid)
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: all(is_dead(each) for each in dying), timeout=10, message=f"the {what} and its children dead")
    return killed_at


def confirm_orders_after(client, shop, smtp, killed_at: float, *, count: int = 3, tag: str) -> float:
    """Place `count` orders; require them confirmed within PROMISE_S of the kill, once at the shop, each
    mailed once. Returns the seconds from the kill to the last confirmation."""
    orders = [order_through_the_form(client, email=f"{tag}-{i}@example.com") for i in range(count)]
    wait_until(lambda: not Order.objects.filter(pk__in=[o.pk for o in orders]).open().exists(),
               timeout=max(0.1, killed_at + PROMISE_S - time.monotonic()), interval=0.1,
               message=f"{count} orders placed after the kill to be confirmed within {PROMISE_S} s of it")
    seconds = time.monotonic() - killed_at
    orders = list(Order.objects.filter(pk__in=[o.pk for o in orders]))
    assert [order.status for order in orders] == [OrderStatus.CONFIRMED] * count
    ledger = {entry["idempotency_key"]: entry for entry in shop.ledger()}
    assert [ledger[str(order.idempotency_key)]["received"] for order in orders] == [1] * count
    # A mail's task that the retiring set had taken in the moment it was replaced is not lost, but comes back
    # after django-q2's `retry` (docs/ARCHITECTURE.md, "When a cluster process dies"): once, all the same.
    wait_until(lambda: all(smtp.messages_to(f"{tag}-{i}@example.com") for i in range(count)),
               timeout=PROMISE_S + django_settings.Q_CLUSTER["retry"], message="their mails")
    # The monitor records each task's result (the admin's task list; with the ORM broker it also acknowledges
    # the task, which would otherwise run again after `retry`). A task that ran while the dead process was
    # being noticed may miss its record (docs/ARCHITECTURE.md); one placed now must not.
    [last] = wait_for_final([order_through_the_form(client, email=f"{tag}-last@example.com")],
                            timeout=max(0.1, killed_at + PROMISE_S - time.monotonic()))
    wait_until(lambda: Task.objects.filter(func=task_path(store_order_task), group=task_group(last), success=True),
               timeout=max(0.1, killed_at + PROMISE_S - time.monotonic()), message="its task's result recorded")
    assert_mailed_once(smtp, [f"{tag}-{i}@example.com" for i in range(count)], witness=last)
    print(f"\n{tag}: {count} orders placed after the kill, the last confirmed {seconds:.1f} s after it")
    return seconds


def assert_mailed_once(smtp, emails: list[str], *, witness: Order):
    """Each address got one mail. A second would be queued right after the first, so ahead of the mail of
    `witness`, an order placed after those first mails: once its mail is in, none came."""
    wait_until(lambda: smtp.messages_to(witness.customer_email), timeout=30, message="the witness order's mail")
    assert [len(smtp.messages_to(email)) for email in emails] == [1] * len(emails)


def warm_up(client, cluster, smtp):
    """An order through every step, then every worker back on the task queue (the processes to kill are found
    by what they wait on)."""
    [order] = wait_for_final([order_through_the_form(client, email="warm-up@example.com")], timeout=30)
    assert order.status == OrderStatus.CONFIRMED
    wait_until(lambda: smtp.messages_to("warm-up@example.com"), timeout=30, message="the warm-up order's mail")
    wait_until(cluster.idle, timeout=30, message="the workers back on the task queue")


def target(cluster, kind: str) -> int:
    """The process of that kind; a next-in-line worker once one is back on the task queue."""
    if "worker" in kind:
        return wait_until(lambda: cluster.processes().idle_next_in_line_worker(), timeout=30,
                          message="a worker idle, next in line for the task queue")
    return getattr(cluster.processes(), kind)


@pytest.mark.parametrize("kind", ["idle next-in-line worker", "monitor", "pusher", "sentinel"])
def test_orders_are_confirmed_within_the_promise_after_a_process_is_killed(kind, cluster, client, shop, smtp):
    warm_up(client, cluster, smtp)
    # A killed sentinel's processes go with it (kill() waits for that): none is left reading a queue no one
    # writes to.
    killed_at = kill(target(cluster, kind), kind)
    confirm_orders_after(client, shop, smtp, killed_at, tag=kind.replace(" ", "-"))
    assert cluster.process.poll() is None, "the qcluster process has ended"


@pytest.mark.slow
def test_a_cluster_whose_processes_are_killed_again_and_again_goes_on(cluster, client, shop, smtp):
    warm_up(client, cluster, smtp)
    for round, kind in enumerate(["idle next-in-line worker", "monitor", "idle next-in-line worker", "pusher"]):
        killed_at = kill(target(cluster, kind), kind)
        confirm_orders_after(client, shop, smtp, killed_at, count=2, tag=f"round{round}")


@pytest.mark.slow
def test_a_busy_worker_killed_in_its_attempt_stops_no_other_order_and_its_own_goes_through_once(
        cluster, client, shop, smtp, settings):
    warm_up(client, cluster, smtp)
    shop.configure(latency_s=2)
    in_flight = order_through_the_form(client, email="in-flight@example.com")
    # Into the shop call: the attempt claimed, its worker waiting for the shop's answer.
    busy = wait_until(lambda: Order.objects.filter(pk=in_flight.pk, status=OrderStatus.SENDING).exists()
                      and cluster.processes().awaiting_an_answer(), timeout=20, message="the attempt's call")
    assert len(busy) == 1, busy
    killed_at = kill(busy[0], "busy worker")
    shop.configure(latency_s=0)
    confirm_orders_after(client, shop, smtp, killed_at, tag="busy-worker")

    # Its own attempt goes on after its own retry: django-q2's re-delivery (ORM broker) or the stalled-order
    # sweep (Redis), and the shop's idempotency key absorbs the repeated call.
    [order] = wait_for_final([in_flight], timeout=settings.Q_TASK_RETRY_S + 70)
    assert order.status == OrderStatus.CONFIRMED
    assert [a.outcome for a in order.attempts.all()] == [AttemptOutcome.INTERRUPTED, AttemptOutcome.ACCEPTED]
    [entry] = [e for e in shop.ledger() if e["idempotency_key"] == str(order.idempotency_key)]
    assert entry["received"] == 2  # the interrupted call and its harmless repeat: one order at the shop
    wait_until(lambda: smtp.messages_to("in-flight@example.com"), timeout=20, message="its mail")
    assert_mailed_once(smtp, ["in-flight@example.com"], witness=order_through_the_form(client, email="witness@example.com"))


def test_a_task_just_taken_by_a_worker_is_not_lost_when_another_process_dies(cluster, client, shop, smtp, tmp_path):
    """A worker that has taken a task but not started it yet (django-q2's timer still says "idle") holds the
    task alone: the retiring set lets it finish, as it lets a busy one. Killed with the idle ones, its task
    came back only after `retry` (42 s here)."""
    warm_up(client, cluster, smtp)
    slow_import_marker.TAKING.unlink(missing_ok=True)
    done = tmp_path / "done"
    # By a string on purpose: the worker imports the module (slowly) after taking the task.
    async_task("tests.support.slow_to_import.record", str(done))
    wait_until(slow_import_marker.TAKING.exists, timeout=30, message="a worker taking the task")
    kill(cluster.processes().monitor, "monitor")
    wait_until(done.exists, timeout=slow_import_marker.IMPORT_S + PROMISE_S,
               message=f"the task taken before the death done (not after `retry`: {django_settings.Q_TASK_RETRY_S} s)")

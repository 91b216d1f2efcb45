"""The policy changes a running cluster's next attempt: no restart. The cluster was started with the
tests' environment (a 3 s shop timeout, 6 attempts); the policy changes it while it runs."""

import pytest
from django_q.models import Task

from orders.models import Order, OrderStatus
from workflow.engine_policy import set_policy, task_timeout_s
from workflow.models import AttemptOutcome

from ..factories import ORDER_FORM
from ..support.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def order_through_the_form(client) -> Order:
    response = client.post("/", ORDER_FORM)
    assert response.status_code == 303
    return Order.objects.get(public_id=response["Location"].rstrip("/").rsplit("/", 1)[1])


def final(order: Order, timeout: float) -> Order:
    wait_until(lambda: Order.objects.filter(pk=order.pk).final().exists(), timeout=timeout, message="a final status")
    return Order.objects.get(pk=order.pk)


def test_a_longer_shop_timeout_lets_a_slow_shop_confirm_in_one_attempt(cluster, client, shop):
    shop.configure(latency_s=4)  # past the environment's 3 s timeout
    set_policy(shop_timeout_s=4.8)
    order = final(order_through_the_form(client), timeout=30)
    assert order.status == OrderStatus.CONFIRMED
    [attempt] = order.attempts.all()
    assert attempt.outcome == AttemptOutcome.ACCEPTED and attempt.duration_ms >= 4000
    assert attempt.task_timeout_s == task_timeout_s(4.8)
    ran = Task.objects.filter(group=f"order {order.public_id}", func="workflow.attempt.store_order_task")
    wait_until(ran.exists, timeout=10, message="the task's result saved")
    assert [task.kwargs for task in ran] == [{"budget_s": task_timeout_s(4.8)}]


def test_fewer_attempts_fail_an_order_sooner(cluster, client, shop):
    shop.configure(down=True)
    set_policy(max_attempts=2, backoff_s=0.2, backoff_cap_s=0.2)
    order = final(order_through_the_form(client), timeout=30)
    assert order.status == OrderStatus.FAILED and order.attempts_made == 2

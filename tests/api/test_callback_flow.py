"""The whole flow through the API: a real django-q2 cluster sends the order to the real shop, then notifies
the client's receiver, a real HTTP server on loopback that checks the signature."""

import pytest
from django_q.models import Schedule

from ..task_paths import DELIVER_CALLBACK_TASK

from ..support.waiting import wait_until
from .helpers import order_body, post_order
from .receiver import CallbackReceiver

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def wait_for_notification(client, status_url, timeout):
    def delivered():
        answer = client.get(status_url).json()
        notifications = answer["notifications"]
        return answer if notifications and notifications[0]["state"] != "pending" else None

    return wait_until(delivered, timeout=timeout, message="the notification to be delivered or given up")


def test_a_receiver_down_at_first_hears_once_that_the_order_is_confirmed(cluster, client, shop, settings):
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET, fail_first=2) as receiver:
        accepted = post_order(client, order_body(callback_url=receiver.url), key="flow-1")
        assert accepted.status_code == 202
        order = wait_for_notification(client, accepted["Location"], timeout=60)

        assert order["status"] == "confirmed"
        [notification] = order["notifications"]
        assert (notification["state"], notification["tries"], notification["last_http_status"]) == ("delivered", 3, 204)
        assert [r.answered for r in receiver.requests()] == [503, 503, 204]
        assert all(r.signature_ok for r in receiver.requests())
        [notice] = receiver.accepted()
        assert notice.json() == {
            "id": order["id"],
            "status": "confirmed",
            "shop_order_id": order["shop_order_id"],
            "final_at": notice.json()["final_at"],
        }
        assert order["shop_order_id"] and notice.json()["final_at"]
        # Delivered: no try is left scheduled.
        assert not Schedule.objects.filter(func=DELIVER_CALLBACK_TASK).exclude(repeats=0).exists()


def test_a_receiver_hears_that_the_order_failed(cluster, client, shop, settings):
    shop.configure(down=True)
    with CallbackReceiver(secret=settings.API_CALLBACK_SECRET) as receiver:
        accepted = post_order(client, order_body(callback_url=receiver.url))
        order = wait_for_notification(client, accepted["Location"], timeout=90)

        assert order["status"] == "failed" and order["notifications"][0]["state"] == "delivered"
        [notice] = receiver.requests()
        assert notice.signature_ok
        assert notice.json()["status"] == "failed" and notice.json()["shop_order_id"] is None

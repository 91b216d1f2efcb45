"""Anonymous order creation is limited per client address (ORDER_RATE_LIMIT): the form answers a friendly
429 with the input kept, the API a 429 JSON with Retry-After; nothing is placed. The trainer's batch places
its orders in-process and is never limited."""

import json
import uuid

import pytest
from django.core.cache import cache

from orders.models import Order
from core.rate_limit import RateLimited, count_order_request
from trainer.tasks import place_made_up_order_task

from ..api.helpers import order_body, post_order
from ..factories import ORDER_FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(settings):
    settings.ORDER_RATE_LIMIT = (3, 60)
    cache.clear()  # the counters live in the shared cache, which outlives a test's transaction
    yield
    cache.clear()


def order_through_the_form(client, **meta):
    return client.post("/", {**ORDER_FORM, "submission": str(uuid.uuid4())}, **meta)


def test_the_fourth_order_in_a_minute_gets_a_friendly_429_with_the_input_kept(client, menu, three_a_minute):
    assert [order_through_the_form(client).status_code for _ in range(3)] == [303, 303, 303]
    response = order_through_the_form(client)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    page = response.content.decode()
    assert "Your order was not placed" in page
    assert "Too many orders from your address: at most 3 every minute. Try again in" in page
    assert 'value="Grace Hopper"' in page  # the input stays
    assert Order.objects.count() == 3


def test_the_api_answers_429_json_with_retry_after(client, menu, three_a_minute):
    assert [post_order(client, order_body()).status_code for _ in range(3)] == [202, 202, 202]
    response = post_order(client, order_body())
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["message"].startswith("Too many orders from your address: at most 3 every minute.")
    assert response.json()["message"].endswith("Nothing was placed.") and response.json()["errors"] == []
    assert Order.objects.count() == 3


def test_form_and_api_share_one_count_per_address_and_other_addresses_are_not_affected(client, menu, three_a_minute):
    order_through_the_form(client)
    post_order(client, order_body())
    order_through_the_form(client)
    assert post_order(client, order_body()).status_code == 429
    assert order_through_the_form(client, REMOTE_ADDR="203.0.113.7").status_code == 303


def test_the_window_ends_and_orders_are_taken_again(rf, three_a_minute):
    request = rf.post("/", REMOTE_ADDR="198.51.100.1")
    for _ in range(3):
        count_order_request(request, now=1_000_000_020.0)
    with pytest.raises(RateLimited) as limited:
        count_order_request(request, now=1_000_000_030.0)
    assert limited.value.retry_after_s == 50  # the window is 1_000_000_020 .. 1_000_000_080
    count_order_request(request, now=1_000_000_080.0)  # the next window


def test_the_trainers_batch_is_not_limited(menu, three_a_minute):
    results = [place_made_up_order_task(number) for number in range(1, 11)]
    assert all(": order " in result for result in results), results
    assert Order.objects.count() == 10


def test_off_means_no_limit(client, menu, settings):
    settings.ORDER_RATE_LIMIT = None
    assert {order_through_the_form(client).status_code for _ in range(5)} == {303}


def test_an_ipv6_client_cannot_escape_the_limit_by_rotating_through_its_64(rf, three_a_minute):
    for host in range(1, 4):
        count_order_request(rf.post("/", REMOTE_ADDR=f"2001:db8:1:2::{host:x}"), now=1_000_000_020.0)
    with pytest.raises(RateLimited):
        count_order_request(rf.post("/", REMOTE_ADDR="2001:db8:1:2:ffff::9"), now=1_000_000_021.0)
    count_order_request(rf.post("/", REMOTE_ADDR="2001:db8:1:3::1"), now=1_000_000_022.0)  # another /64


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw(rf, settings, three_a_minute):
    settings.TRUSTED_PROXY_HOPS = 1
    for _ in range(3):
        count_order_request(rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.5"))
    with pytest.raises(RateLimited):  # the client's own X-Forwarded-For entries change nothing
        count_order_request(rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="7.7.7.7, 198.51.100.5"))
    count_order_request(rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.6"))


def test_without_a_trusted_proxy_x_forwarded_for_cannot_make_a_client_someone_new(client, menu, three_a_minute):
    for n in range(3):
        assert order_through_the_form(client, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code == 303
    assert order_through_the_form(client, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429
    api = client.post("/api/orders", json.dumps(order_body()), content_type="application/json",
                      headers={"X-Forwarded-For": "203.0.113.99"})
    assert api.status_code == 429


def test_the_database_counts_one_row_per_window_and_forgets_windows_that_have_ended(rf, three_a_minute):
    from core.models import RateCount

    def counts():
        return sorted(RateCount.objects.values_list("count", flat=True))

    request = rf.post("/", REMOTE_ADDR="198.51.100.9")
    count_order_request(request, now=1_000_000_020.0)  # a window long over
    count_order_request(request, now=1_000_000_021.0)
    assert counts() == [2]
    count_order_request(request)  # the first of the window now: the ended window's row goes
    assert counts() == [1]
    count_order_request(request)
    count_order_request(rf.post("/", REMOTE_ADDR="198.51.100.10"))  # another client
    assert counts() == [1, 2]

"""The knob down_for_s against a real shop process: down now, back by itself; waits are bounded polls."""

import time
from datetime import datetime

from tests.shop.orders import post_order
from tests.support.waiting import wait_until


def test_down_for_s_takes_the_shop_down_now_and_it_comes_back_by_itself(shop):
    before = time.time()
    settings = shop.configure(down_for_s=1.5)

    assert settings["down"] is True
    assert 0 < settings["down_for_s"] <= 1.5
    assert datetime.fromisoformat(settings["down_until"]).timestamp() >= before + 1.4
    assert post_order(shop, "during").status_code == 503
    assert shop.ledger() == []

    wait_until(lambda: post_order(shop, "after").status_code == 201, timeout=10, interval=0.2, message="the shop back")
    assert time.time() - before >= 1.5
    after = shop.settings()
    assert (after["down"], after["down_for_s"], after["down_until"]) == (False, None, None)
    assert [entry["idempotency_key"] for entry in shop.ledger()] == ["after"]


def test_down_false_ends_a_timed_outage_early(shop):
    shop.configure(down_for_s=600)

    settings = shop.configure(down=False)

    assert (settings["down"], settings["down_until"]) == (False, None)
    assert post_order(shop, "key-1").status_code == 201


def test_down_true_turns_a_timed_outage_into_one_for_good(shop):
    timed = shop.configure(down_for_s=0.5)
    back_at = datetime.fromisoformat(timed["down_until"]).timestamp()

    settings = shop.configure(down=True)

    assert (settings["down"], settings["down_for_s"]) == (True, None)
    wait_until(lambda: time.time() > back_at, timeout=5, interval=0.05, message="the timed outage's end")
    assert post_order(shop, "key-1").status_code == 503


def test_down_for_s_in_the_same_put_as_down_false_starts_the_outage(shop):
    """`down` is applied first, then `down_for_s`: a scenario can send every knob and an outage."""
    settings = shop.configure(down=False, down_for_s=30)

    assert settings["down"] is True and settings["down_for_s"] > 29
    assert post_order(shop, "key-1").status_code == 503


def test_down_for_s_zero_means_up(shop):
    shop.configure(down_for_s=600)
    assert shop.configure(down_for_s=0)["down"] is False


def test_reset_ends_a_timed_outage(shop):
    shop.configure(down_for_s=600)
    assert shop.reset()["down"] is False
    assert post_order(shop, "key-1").status_code == 201

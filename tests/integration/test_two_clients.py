"""Two app instances, two clients of one shop (issue 18's probe): neither sees nor touches the other's orders.

Instance A is this test process (its test database, its key). Instance B is another app altogether: a
subprocess on a database of its own, with its own key, placing its orders through its own store step and
running its own reconciliation sweep (`manage.py reconcile`), as a second deployment would. Before the shop
knew its clients, B's sweep read the whole ledger and cancelled every order of A's as an orphan of its own.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from orders.models import Order, OrderStatus
from workflow.attempt import store_order
from workflow.reconciliation import reconcile_with_shop
from workflow.shop_client import ShopClient

from ..factories import make_order

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
ORDERS_EACH = 4

# What instance B does, in its own process: load its menu, place its orders through its store step, sweep.
INSTANCE_B = f"""
from datetime import timedelta
from orders.menu import load_menu
from orders.models import Order, Pizza
from tests.factories import make_order
from workflow.attempt import store_order
from workflow.reconciliation import reconcile_with_shop
load_menu()
menu = {{pizza.slug: pizza for pizza in Pizza.objects.all()}}
orders = [make_order(menu, customer_name=f"B customer {{n}}") for n in range({ORDERS_EACH})]
for order in orders:
    store_order(order.pk)
print("B placed", *[str(order.idempotency_key) for order in orders])
result = reconcile_with_shop(grace=timedelta(0))
print("B swept", result.entries, len(result.unknown_to_app), result.cancelled_at_shop)
print("B statuses", *sorted(Order.objects.values_list("status", flat=True)))
"""


def run_instance_b(shop, key: str, tmp_path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'instance-b.sqlite3'}",
        "SHOP_URL": shop.url,
        "SHOP_API_KEY": key,
        "SHOP_CONTROL_TOKEN": "",  # a client of the shop, not its operator
    }
    for argv in (["migrate", "--noinput"], ["shell", "-c", INSTANCE_B]):
        done = subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
    lines = {line.split(" ", 2)[1]: line.split(" ", 2)[2].split() for line in done.stdout.splitlines() if line.startswith("B ")}
    return {"placed": lines["placed"], "swept": [int(n) for n in lines["swept"]], "statuses": lines["statuses"]}


def test_two_app_instances_each_see_and_settle_only_their_own_orders(menu, shop, tmp_path, capsys):
    # Instance A places its orders (this process, the shop fixture's client "app").
    a_orders = [make_order(menu) for _ in range(ORDERS_EACH)]
    for order in a_orders:
        store_order(order.pk)
    a_keys = {str(order.idempotency_key) for order in a_orders}

    # Instance B, a client of its own, places its orders and sweeps: it must not cancel A's.
    b_key = shop.new_client("instance-b")
    b = run_instance_b(shop, b_key, tmp_path)
    b_keys = set(b["placed"])

    # A sweeps too: it must not cancel B's.
    a_sweep = reconcile_with_shop(grace=timezone.timedelta(0))

    whole_ledger = {entry["idempotency_key"]: (entry["client"], entry["status"]) for entry in shop.ledger()}
    assert whole_ledger == {**{k: ("app", "accepted") for k in a_keys}, **{k: ("instance-b", "accepted") for k in b_keys}}
    assert b["swept"] == [ORDERS_EACH, 0, 0]  # B saw its own four entries, none unknown, cancelled none
    assert b["statuses"] == ["confirmed"] * ORDERS_EACH
    assert (a_sweep.entries, a_sweep.unknown_to_app, a_sweep.cancelled_at_shop) == (ORDERS_EACH, [], 0)
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CONFIRMED}

    # Neither can read or cancel the other's, even knowing its key: to A, B's orders do not exist.
    a_client = ShopClient(shop.url, connect_timeout_s=1, read_timeout_s=5)
    b_client = ShopClient(shop.url, connect_timeout_s=1, read_timeout_s=5, api_key=b_key)
    assert {entry["idempotency_key"] for entry in a_client.ledger()} == a_keys
    assert {entry["idempotency_key"] for entry in b_client.ledger()} == b_keys
    some_b_key, some_a_key = sorted(b_keys)[0], sorted(a_keys)[0]
    assert a_client.look_up(some_b_key) is None and a_client.cancel(some_b_key).state == "unknown"
    assert b_client.look_up(some_a_key) is None and b_client.cancel(some_a_key).state == "unknown"
    assert {entry["status"] for entry in shop.ledger()} == {"accepted"}

    with capsys.disabled():
        print(f"\n[two instances] ledger {len(whole_ledger)} entries ({ORDERS_EACH} per client); "
              f"A's sweep saw {a_sweep.entries}, cancelled {a_sweep.cancelled_at_shop}; "
              f"B's sweep saw {b['swept'][0]}, unknown {b['swept'][1]}, cancelled {b['swept'][2]}; "
              f"cross-client look-ups found 0, cancels cancelled 0")

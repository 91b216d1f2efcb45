"""The live process diagram in a real Chromium: a trainer watches its counts move while a batch runs, a
customer sees their own order lit; axe-core finds nothing serious on either page."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from trainer.access import ensure_trainers_group
from .axe import serious_violations
from .pages import Order, OrderForm, assert_fits_the_screen, log_in

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

PASSWORD = "a-long-trainer-password-2"

COUNTS = """() => Object.fromEntries([...document.querySelectorAll('#diagram [data-step]')]
                                    .map((step) => [step.dataset.step, +step.dataset.count]))"""


@pytest.fixture
def trainer(transactional_db):
    user = get_user_model().objects.create_user("dora", password=PASSWORD, is_staff=True)
    user.groups.add(ensure_trainers_group())  # running the trainer needs its permission (trainer.access)
    return user


def test_the_diagrams_counts_move_while_a_batch_runs(staff_page, trainer, cluster, shop):
    page = staff_page
    shop.configure(latency_s=1.5)
    page.goto("/trainer/")
    log_in(page, username="dora", password=PASSWORD)
    expect(page.get_by_role("img", name="The order process now (asynchronous store step)")).to_be_visible()
    assert page.evaluate(COUNTS) == {"form": 0, "wait": 0, "store": 0, "retry": 0, "callback": 0, "mail": 0, "done": 0}
    assert serious_violations(page) == []

    page.get_by_label("Made-up customers").fill("8")
    page.get_by_role("button", name="Send a batch of orders").click()
    expect(page.get_by_text("8 made-up customers are ordering.")).to_be_visible()
    page.evaluate("""() => { window.seen = []; window.busySeen = 0;
        new MutationObserver(() => {
            const diagram = document.querySelector('#diagram .diagram');
            if (!diagram) return;
            window.busySeen = Math.max(window.busySeen, +diagram.dataset.busyWorkers);
            window.seen.push(Object.fromEntries([...document.querySelectorAll('#diagram [data-step]')]
                                                .map((s) => [s.dataset.step, +s.dataset.count])));
        }).observe(document.getElementById('diagram'), {childList: true, subtree: true}); }""")
    # While the batch runs, orders wait in the queue or are with the shop; then all eight are done.
    page.wait_for_function("() => window.seen.some((c) => c.wait + c.store > 0)", timeout=30_000)
    page.wait_for_function("() => window.seen.length && window.seen.at(-1).done === 8", timeout=60_000)
    seen = page.evaluate("window.seen")
    assert max(c["wait"] + c["store"] for c in seen) > 0 and seen[-1]["done"] == 8
    assert page.evaluate("window.busySeen") >= 1  # a worker lane was seen running an attempt
    expect(page.locator("#diagram [data-workers-line]")).to_have_text("Workers: 0 of 2 running an attempt")
    assert serious_violations(page) == []


def test_a_customer_sees_their_order_lit_on_the_diagram(customer_page, device, cluster, shop):
    page = customer_page
    shop.configure(latency_s=2.5)
    OrderForm(page, touch=device.touch).open().place(Order(email="lit@example.com"))
    page.get_by_role("link", name="See where your order is in our process").click()
    expect(page.get_by_role("heading", name="Where your order is", level=1)).to_be_visible()
    lit = page.locator("#diagram .step--lit")
    expect(lit).to_have_count(1)
    assert lit.get_attribute("data-step") in {"wait", "store"}
    expect(page.get_by_role("img", name="Where your order is in our process")).to_be_visible()
    expect(page.get_by_role("table", name="The diagram as a table: where your order is")).to_be_visible()
    assert serious_violations(page) == []
    assert_fits_the_screen(page)
    # The page follows the order by itself, to the end.
    expect(page.locator('#diagram .step--lit[data-step="done"]')).to_have_count(1, timeout=30_000)
    expect(page.locator("#diagram .you-are-here")).to_have_text("▲ your order is here")


def test_a_trainer_sets_the_policy_and_an_impossible_one_is_explained_beside_its_field(staff_page, trainer, shop):
    page = staff_page
    page.goto("/trainer/diagram/")
    log_in(page, username="dora", password=PASSWORD)
    expect(page.get_by_role("heading", name="The process, live", level=1)).to_be_visible()
    assert serious_violations(page) == []

    page.goto("/trainer/")
    page.get_by_label("First wait (s)").fill("10")
    page.get_by_label("Longest wait (s)").fill("5")
    page.get_by_role("button", name="Set policy").click()
    cap = page.get_by_label("Longest wait (s)")
    expect(cap).to_have_attribute("aria-invalid", "true")
    expect(cap).to_have_accessible_description(re.compile(r"the longest wait \(5 s\) cannot be shorter than the first one \(10 s\)"))
    assert serious_violations(page) == []

    cap.fill("20")
    page.get_by_label("Attempts").fill("7")
    page.get_by_role("button", name="Set policy").click()
    expect(page.get_by_text("Policy: 7 attempts, first wait 10 s doubling up to 20 s")).to_be_visible()
    expect(page.get_by_label("Attempts")).to_have_value("7")

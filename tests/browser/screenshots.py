"""`make screenshots` (python -m tests.browser.screenshots): a PNG of every page into docs/screenshots/.

It brings up the real stack itself (web, shop simulator, worker cluster: bench/stack.py, on free loopback
ports and a scratch directory under var/bench/screenshots/), then uses it in Debian's Chromium as a
customer and a member of staff would, and photographs each page on the way. About half a minute.
"""

import re
import sys

from playwright.sync_api import expect, sync_playwright

from bench.stack import ROOT, Stack

from .chromium import DESKTOP, PHONE, launch_chromium
from .pages import Order, OrderForm, log_in

OUTPUT = ROOT / "docs" / "screenshots"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "pizza-demo-admin"

# Slow enough to photograph the states in between: a retry waits 3 s, then 6 s; three attempts in all.
STACK_ENVIRONMENT = {
    "STORE_ORDER_MAX_ATTEMPTS": 3,
    "STORE_ORDER_BACKOFF_S": 3,
    "STORE_ORDER_BACKOFF_CAP_S": 6,
    "SHOP_TIMEOUT_S": 5,
    "DEMO_ADMIN_USERNAME": ADMIN_USERNAME,
    "DEMO_ADMIN_PASSWORD": ADMIN_PASSWORD,
}

# Small PNGs: one CSS pixel per pixel, and a phone at twice that.
DESKTOP_SHOT = {**DESKTOP, "viewport": {"width": 1200, "height": 800}}
PHONE_SHOT = {**PHONE, "device_scale_factor": 2}


def shoot(page, name: str, *, full_page: bool = True) -> None:
    """Save the page as docs/screenshots/NAME.png (written aside, then moved, so no half-written file)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    partial = OUTPUT / f"{name}.tmp.png"
    page.screenshot(path=str(partial), full_page=full_page, animations="disabled", caret="hide")
    partial.replace(OUTPUT / f"{name}.png")
    print(f"  docs/screenshots/{name}.png")


def reload_until(page, locator, *, timeout_s: float = 30) -> None:
    """Reload until `locator` shows, as a person presses F5 on a page that does not update itself."""
    for _ in range(int(timeout_s)):
        try:
            expect(locator.first).to_be_visible(timeout=1_000)
            return
        except AssertionError:
            page.reload()
    expect(locator.first).to_be_visible(timeout=1_000)


def customer_pages(browser, stack: Stack) -> dict:
    """The customer's pages; returns the public ids of the orders it placed, by outcome."""
    context = browser.new_context(base_url=stack.web_url, **DESKTOP_SHOT)
    page = context.new_page()

    form = OrderForm(page).open()
    form.pizza("Quattro formaggi").check()
    form.quantity().fill("2")  # the price line follows
    expect(page.locator("output#price")).to_have_text("€26.00")
    shoot(page, "order-form")

    form.open()
    form.fill(Order(pizza=None, quantity="0", email="grace@"))
    form.submit_button().click()
    expect(form.error_summary()).to_be_visible()
    shoot(page, "order-form-errors")

    # A slow shop: the status page answers at once and follows the order until the shop has it.
    stack.configure_shop(latency_s=3)
    status = OrderForm(page).open().place(Order(pizza="Diavola", quantity="2"))
    expect(status.in_status("sending")).to_be_visible(timeout=10_000)
    shoot(page, "status-sending")
    expect(status.in_status("confirmed")).to_be_visible(timeout=20_000)
    shoot(page, "status-confirmed")
    confirmed = page.url.rstrip("/").rsplit("/", 1)[1]

    # The shop is down: a retry is scheduled, then another, and the order fails.
    stack.configure_shop(latency_s=0, down=True)
    ada = Order(
        pizza="Funghi", quantity="1", name="Ada Lovelace", email="ada@example.com", address="12 Analytical Street"
    )
    status = OrderForm(page).open().place(ada)
    expect(status.in_status("waiting_retry")).to_be_visible(timeout=15_000)
    shoot(page, "status-waiting-retry")
    expect(status.in_status("failed")).to_be_visible(timeout=30_000)
    shoot(page, "status-failed")
    failed = page.url.rstrip("/").rsplit("/", 1)[1]

    # Synchronous, and the shop fails: the customer sees the error on the form, the input kept.
    stack.manage("storemode", "sync", capture_output=True)
    stack.configure_shop(down=False, failure_rate=1.0)
    form = OrderForm(page).open()
    form.fill(Order(pizza="Margherita", quantity="1", name="Sync Sam", email="sam@example.com"))
    form.submit_button().click()
    expect(form.error_summary()).to_contain_text("Your order was not placed")
    shoot(page, "form-sync-error")
    stack.manage("storemode", "async", capture_output=True)
    stack.configure_shop(failure_rate=0.0)
    context.close()

    phone = browser.new_context(base_url=stack.web_url, **PHONE_SHOT)
    page = phone.new_page()
    OrderForm(page, touch=True).open()
    shoot(page, "order-form-phone", full_page=False)
    page.goto(f"/orders/{confirmed}/")
    expect(page.locator('[data-order-status="confirmed"]')).to_be_visible()
    shoot(page, "status-confirmed-phone", full_page=False)
    phone.close()
    return {"confirmed": confirmed, "failed": failed}


def staff_pages(browser, stack: Stack, orders: dict) -> None:
    context = browser.new_context(base_url=stack.web_url, **DESKTOP_SHOT)
    page = context.new_page()
    page.goto("/admin/login/?next=/admin/")
    log_in(page, username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()
    # The console's index: the engine's health first (workers alive, queue, sweeps, orders by status).
    reload_until(page, page.get_by_text(re.compile(r"^Running: \d+ workers? alive")))
    shoot(page, "admin-console")

    # The demo's mailbox: both customers were told.
    page.goto("/mailbox/")
    reload_until(page, page.get_by_role("heading", name=re.compile("could not place")))
    reload_until(page, page.get_by_role("heading", name=re.compile("confirmed")))
    shoot(page, "mailbox")

    # The trainer starts the demonstration afresh: every counter at zero, no order deleted.
    page.goto("/trainer/")
    expect(page.get_by_role("heading", name="Trainer", level=1)).to_be_visible()
    page.get_by_role("button", name="Start a new session").click()
    expect(page.get_by_role("status")).to_contain_text("New session")

    # The lunch rush: 20 customers at once against a 5 s shop fill the queue; one more orders by hand.
    stack.manage("scenario", "lunch-rush", capture_output=True)
    page.goto("/trainer/diagram/")
    expect(page.locator('#diagram [data-step="wait"]')).to_have_attribute("data-count", re.compile(r"^(1[0-9]|[5-9])$"), timeout=20_000)
    expect(page.locator("#diagram .lane--busy").first).to_be_visible(timeout=20_000)
    shoot(page, "diagram")
    # The trainer's page as the projector shows it (1280×720, its first screen), the rush under way.
    projector = browser.new_context(base_url=stack.web_url, viewport={"width": 1280, "height": 720},
                                    storage_state=context.storage_state())
    trainer = projector.new_page()
    trainer.goto("/trainer/")
    expect(trainer.locator("#diagram .lane--busy").first).to_be_visible(timeout=20_000)
    shoot(trainer, "trainer", full_page=False)
    projector.close()
    customer = browser.new_context(base_url=stack.web_url, **DESKTOP_SHOT)
    mine = customer.new_page()
    OrderForm(mine).open().place(Order(pizza="Marinara", quantity="1", name="Last In Line", email="last@example.com"))
    mine.get_by_role("link", name="See where your order is in our process").click()
    expect(mine.locator('#diagram .step--lit[data-step="wait"]')).to_be_visible()
    shoot(mine, "storefront:diagram")
    customer.close()
    stack.manage("scenario", "happy", capture_output=True)

    # The order API's interactive docs (Swagger UI, from the app's own static files).
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    shoot(page, "api-docs")

    page.goto("/admin/orders/order/")
    page.get_by_role("button", name="Toggle navigation").click()  # more room for the lists (it stays closed)
    expect(page.get_by_role("row").filter(has_text="ada@example.com")).to_be_visible()
    shoot(page, "admin-orders")

    page.get_by_role("link", name=orders["failed"][:8]).click()
    expect(page.locator(".inline-group").get_by_role("row").filter(has_text="Transient error")).to_have_count(3)
    shoot(page, "admin-order-attempts")
    page.locator("#order-timeline").screenshot(path=str(OUTPUT / "admin-order-timeline.png"), animations="disabled")
    print("  docs/screenshots/admin-order-timeline.png")
    with page.expect_navigation():
        page.get_by_role("link", name="Attempt 3: traceback and answer").click()
    expect(page.get_by_text("workflow.shop_client.ShopUnavailable").first).to_be_visible()
    shoot(page, "admin-attempt")
    page.go_back()

    page.get_by_role("link", name="Successful", exact=True).click()
    expect(page.locator("#result_list tbody").get_by_role("row").first).to_be_visible()
    shoot(page, "admin-django-q2-tasks")

    page.goto("/admin/needs-attention/")
    expect(page.locator('[data-section="failed"]').get_by_role("link", name=orders["failed"][:8])).to_be_visible()
    shoot(page, "admin-needs-attention")
    context.close()


def main() -> int:
    print(f"Starting the stack (logs in var/bench/screenshots/), then writing {OUTPUT.relative_to(ROOT)}/:")
    expect.set_options(timeout=10_000)
    with Stack("screenshots", demo_admin=True, **STACK_ENVIRONMENT) as stack, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            orders = customer_pages(browser, stack)
            staff_pages(browser, stack, orders)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m tests.browser.survey OUTDIR`: every page at 1280 px and 390 px, as a reviewer walks them.

It brings up the real stack (bench/stack.py, free loopback ports), places a few orders (confirmed, failed,
confirmed after a lost answer, a synchronous lost answer on the form), then opens each page at both widths
and writes OUTDIR/NAME-WIDTH.png (the whole page) and a table: page, width, height, how many pixels the page
scrolls sideways, axe-core's serious and critical violations. The table is printed and written to
OUTDIR/survey.md. It is how the before/after pictures of a layout change are taken; `make screenshots`
takes the README's.
"""

import re
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from bench.stack import Stack

from .axe import axe_script
from .chromium import launch_chromium
from .pages import Order, OrderForm, log_in
from .screenshots import ADMIN_PASSWORD, ADMIN_USERNAME, STACK_ENVIRONMENT

WIDTHS = {1280: {"width": 1280, "height": 720}, 390: {"width": 390, "height": 844}}


def measure(page, name: str, width: int, outdir: Path) -> dict:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(axe_script()))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    blocking = [
        f"{v['id']}×{len(v['nodes'])}" for v in results["violations"] if v["impact"] in {"serious", "critical"}
    ]
    figures = page.evaluate(
        "() => ({height: document.documentElement.scrollHeight,"
        " overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth})"
    )
    path = outdir / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    return {"page": name, "width": width, **figures, "axe": ", ".join(blocking) or "0", "path": str(path)}


def place_orders(browser, stack: Stack) -> dict:
    """A confirmed order, a failed one, one confirmed after a lost answer; the sync form's lost answer."""
    context = browser.new_context(base_url=stack.web_url, viewport=WIDTHS[1280])
    page = context.new_page()
    orders = {}
    OrderForm(page).open().place(Order(pizza="Diavola"))
    expect(page.locator('[data-order-status="confirmed"]')).to_be_visible(timeout=20_000)
    orders["confirmed"] = page.url
    stack.configure_shop(lost_response_rate=1.0)
    OrderForm(page).open().place(Order(pizza="Funghi", name="Ada Lovelace", email="ada@example.com"))
    expect(page.locator('[data-order-status="waiting_retry"]')).to_be_visible(timeout=20_000)
    stack.configure_shop(lost_response_rate=0.0)
    expect(page.locator('[data-order-status="confirmed"]')).to_be_visible(timeout=30_000)
    orders["lost-answer"] = page.url
    stack.configure_shop(down=True)
    OrderForm(page).open().place(Order(pizza="Marinara", name="Alan Turing", email="alan@example.com"))
    expect(page.locator('[data-order-status="failed"]')).to_be_visible(timeout=40_000)
    orders["failed"] = page.url
    stack.configure_shop(down=False)
    context.close()
    return orders


def sync_lost_answer(page, stack: Stack) -> None:
    stack.manage("storemode", "sync", capture_output=True)
    stack.configure_shop(lost_response_rate=1.0)
    try:
        form = OrderForm(page).open()
        form.fill(Order(pizza="Margherita", name="Sync Sam", email="sam@example.com"))
        form.submit_button().click()
        expect(form.error_summary()).to_be_visible()
    finally:
        stack.configure_shop(lost_response_rate=0.0)
        stack.manage("storemode", "async", capture_output=True)


def survey(outdir: Path) -> list[dict]:
    outdir.mkdir(parents=True, exist_ok=True)
    rows = []
    with Stack("survey", demo_admin=True, **STACK_ENVIRONMENT) as stack, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            orders = place_orders(browser, stack)
            for width, viewport in WIDTHS.items():
                context = browser.new_context(base_url=stack.web_url, viewport=viewport)
                page = context.new_page()
                customer = {
                    "form": "/",
                    "status-confirmed": orders["confirmed"],
                    "status-lost-answer": orders["lost-answer"],
                    "status-failed": orders["failed"],
                    "cancel-confirm": orders["confirmed"] + "cancel/",
                    "order-diagram": orders["confirmed"] + "diagram/",
                    "api-docs": "/api/docs",
                }
                for name, url in customer.items():
                    page.goto(url)
                    rows.append(measure(page, name, width, outdir))
                form = OrderForm(page).open()
                form.submit_button().click()
                rows.append(measure(page, "form-errors", width, outdir))
                sync_lost_answer(page, stack)
                rows.append(measure(page, "form-sync-lost-answer", width, outdir))
                favicon = page.request.get("/favicon.ico")
                rows.append({"page": "favicon.ico", "width": width, "height": favicon.status, "overflow": 0,
                             "axe": "-", "path": f"HTTP {favicon.status}"})

                page.goto("/admin/login/?next=/admin/")
                rows.append(measure(page, "admin-login", width, outdir))
                log_in(page, username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
                expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()
                failed_id = orders["failed"].rstrip("/").rsplit("/", 1)[1]
                staff = {
                    "admin-console": "/admin/",
                    "admin-needs-attention": "/admin/needs-attention/",
                    "admin-orders": "/admin/orders/order/",
                    "admin-django-q2-tasks": "/admin/django_q/success/",
                    "mailbox": "/mailbox/",
                    "trainer": "/trainer/",
                    "trainer-diagram": "/trainer/diagram/",
                }
                for name, url in staff.items():
                    page.goto(url)
                    rows.append(measure(page, name, width, outdir))
                page.goto("/admin/orders/order/")
                page.get_by_role("link", name=failed_id[:8]).first.click()
                rows.append(measure(page, "admin-order", width, outdir))
                page.get_by_role("link", name=re.compile(r"^Attempt \d+: traceback")).first.click()
                rows.append(measure(page, "admin-attempt", width, outdir))
                context.close()
        finally:
            browser.close()
    table = ["| page | width | height px | sideways px | axe serious/critical |", "| --- | --- | --- | --- | --- |"]
    table += [f"| {r['page']} | {r['width']} | {r['height']} | {r['overflow']} | {r['axe']} |" for r in rows]
    (outdir / "survey.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    return rows


if __name__ == "__main__":
    expect.set_options(timeout=10_000)
    survey(Path(sys.argv[1] if len(sys.argv) > 1 else "var/survey"))

"""Fixtures of the browser suite: one Chromium for the whole suite, a fresh context and page for each test,
on a desktop or a phone-sized screen, against the app served by pytest-django's live server.

The rest of the stack is the suite's own: the real shop simulator, SMTP server and worker cluster
(`cluster`, `shop`, `smtp`, `menu` in tests/conftest.py). The live server runs in this process, on the
same SQLite test database file the worker cluster opens.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from .axe import AXE_SOURCE_URL
from .chromium import DESKTOP, PHONE, ChromiumMissing, launch_chromium, only_loopback

# The live server listens on loopback by address, so that no name lookup is involved.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

# Playwright's sync API keeps an asyncio loop running in this thread for as long as it is started, and
# Django refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation). The fixtures and
# tests here use the ORM in plain synchronous code (menu, flushes, a staff user), so the check is switched
# off while the browser runs, and on again after the browser suite. (A worker cluster first started during
# the browser suite inherits the variable; it runs no event loop, so there it changes nothing.)
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

FAILURES_DIR = Path(__file__).resolve().parents[2] / "var" / "test" / "browser-failures"

expect.set_options(timeout=10_000)


@dataclass(frozen=True)
class Device:
    name: str
    context_options: dict

    @property
    def touch(self) -> bool:
        return bool(self.context_options.get("has_touch"))


DEVICES = {"desktop": Device("desktop", DESKTOP), "phone": Device("phone", PHONE)}


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the browser suite (started at its first test, closed after its last)."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    playwright = sync_playwright().start()
    try:
        try:
            chromium = launch_chromium(playwright)
        except ChromiumMissing as error:
            pytest.fail(str(error), pytrace=False)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


class PageWatch:
    """What went wrong in a page that a person would notice even if the test did not look: an uncaught
    script error, a server error (5xx) on any request, including htmx's polls, anything the
    Content-Security-Policy refused (a script, style or request the page then lacks). Requests that would
    leave this machine are blocked and listed too."""

    def __init__(self):
        self.script_errors: list[str] = []
        self.server_errors: list[str] = []
        self.csp_violations: list[str] = []
        self.blocked: list[str] = []

    def attach(self, context, page):
        context.route("**/*", self._only_loopback)
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        page.on("response", self._on_response)
        page.on("console", lambda message: self._on_console(page, message))

    def _on_console(self, page, message):
        # Chromium reports each refusal on the console: "Refused to ... because it violates the following
        # Content Security Policy directive: ..."
        location = message.location or {}
        if "Content Security Policy" in message.text and location.get("url") != AXE_SOURCE_URL:
            self.csp_violations.append(f"{page.url} ({location.get('url', '')}:{location.get('lineNumber', '')}): {message.text}")

    def _only_loopback(self, route):
        if only_loopback(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _on_response(self, response):
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def problems(self) -> list[str]:
        return (
            [f"script error: {e}" for e in self.script_errors]
            + [f"server error: {e}" for e in self.server_errors]
            + [f"refused by the Content-Security-Policy: {e}" for e in self.csp_violations]
            + [f"request off this machine: {e}" for e in self.blocked]
        )


def open_page(request, browser, live_server, device: Device, *, role: str):
    """A fresh context (no cookies, no storage) and page; yields the page, checks it on the way out."""
    context = browser.new_context(base_url=live_server.url, **device.context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch = PageWatch()
    watch.attach(context, page)
    try:
        yield page
        if getattr(request.node, "browser_test_failed", False):
            FAILURES_DIR.mkdir(parents=True, exist_ok=True)
            path = FAILURES_DIR / f"{request.node.name}-{role}.png".replace("/", "_")
            page.screenshot(path=str(path), full_page=True)
            print(f"Screenshot of the page at {page.url}: {path}")
        problems = watch.problems()
        assert not problems, "the page had problems a person would notice:\n" + "\n".join(problems)
    finally:
        context.close()


@pytest.fixture(params=list(DEVICES))
def device(request) -> Device:
    """The customer journeys run on each device: a desktop and a phone-sized touch screen."""
    return DEVICES[request.param]


@pytest.fixture
def customer_page(request, browser, live_server, device):
    """A customer's browser on `device`."""
    yield from open_page(request, browser, live_server, device, role="customer")


@pytest.fixture
def page(request, browser, live_server):
    """A browser on a desktop screen."""
    yield from open_page(request, browser, live_server, DEVICES["desktop"], role="page")


@pytest.fixture
def staff_page(request, browser, live_server):
    """A second desktop browser, for a member of staff (its own cookies)."""
    yield from open_page(request, browser, live_server, DEVICES["desktop"], role="staff")

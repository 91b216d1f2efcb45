"""The customer's pages as a person uses them: find things by what they say (labels, roles, text), click or
tap, type. Tests read as journeys; the details of finding a control live here."""

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

STATUS_PAGE = re.compile(r"/orders/[0-9a-f-]{36}/$")


@dataclass
class Order:
    """What a customer puts in the form. Labels as the page shows them."""

    pizza: str | None = "Margherita"
    size: str = "Large (35 cm)"
    quantity: str = "2"
    name: str = "Grace Hopper"
    email: str = "grace@example.com"
    address: str = "1 Compiler Way"


class OrderForm:
    def __init__(self, page: Page, *, touch: bool = False):
        self.page = page
        self.touch = touch

    def open(self) -> "OrderForm":
        self.page.goto("/")
        expect(self.page.get_by_role("heading", name="Order a pizza", level=1)).to_be_visible()
        return self

    # Controls, found as a person (or a screen reader) finds them.
    def pizza_group(self) -> Locator:
        return self.page.get_by_role("group", name="Pizza")

    def pizza(self, name: str) -> Locator:
        return self.page.get_by_role("radio", name=re.compile(rf"^{re.escape(name)}\b"))

    def size_group(self) -> Locator:
        return self.page.get_by_role("group", name="Size")

    def size(self, label: str) -> Locator:
        return self.page.get_by_role("radio", name=label, exact=True)

    def quantity(self) -> Locator:
        return self.page.get_by_label("Quantity")

    def name(self) -> Locator:
        return self.page.get_by_label("Your name")

    def email(self) -> Locator:
        return self.page.get_by_label("Email")

    def address(self) -> Locator:
        return self.page.get_by_label("Delivery address")

    def submit_button(self) -> Locator:
        return self.page.get_by_role("button", name="Place order")

    def error_summary(self) -> Locator:
        return self.page.get_by_role("alert")

    # Doing things.
    def press(self, locator: Locator) -> None:
        """A click with a mouse, a tap on a touch screen."""
        if self.touch:
            locator.tap()
        else:
            locator.click()

    def fill(self, order: Order) -> None:
        if order.pizza:
            # The whole menu card is the radio's label: people press the pizza's name.
            self.press(self.pizza_group().get_by_text(order.pizza, exact=True))
            expect(self.pizza(order.pizza)).to_be_checked()
        self.press(self.size_group().get_by_text(order.size, exact=True))
        expect(self.size(order.size)).to_be_checked()
        self.quantity().fill(order.quantity)
        self.name().fill(order.name)
        self.email().fill(order.email)
        self.address().fill(order.address)

    def place(self, order: Order) -> "StatusPage":
        self.fill(order)
        self.press(self.submit_button())
        expect(self.page).to_have_url(STATUS_PAGE)
        return StatusPage(self.page)


class StatusPage:
    def __init__(self, page: Page):
        self.page = page

    def progress(self) -> Locator:
        """The one element that carries the order's status (the contract's `data-order-status`)."""
        return self.page.locator("[data-order-status]")

    def status(self) -> str:
        return self.progress().get_attribute("data-order-status")

    def in_status(self, status: str) -> Locator:
        return self.page.locator(f'[data-order-status="{status}"]')

    def badge(self) -> Locator:
        """The status as the page says it, in words (the heading of the progress box)."""
        return self.progress().get_by_role("heading", level=2)

    def order_line(self) -> Locator:
        return self.page.get_by_text(re.compile(r"^\d+ × "))

    def step(self, title: str) -> Locator:
        return self.progress().get_by_role("listitem").filter(has_text=title)

    def attempts(self) -> Locator:
        """The rows of the table of attempts to reach the shop."""
        return self.page.get_by_role("table", name="Attempts to reach the shop").locator("tbody").get_by_role("row")

    def announcer(self) -> Locator:
        return self.page.get_by_role("status")


def assert_fits_the_screen(page: Page) -> None:
    """The page fits its screen as a reader expects: nothing sticks out sideways (no horizontal scroll, on
    a phone either), and no word of the text is cut in two to make it fit (codes and ids may wrap, and so
    may a hyphenated word at its hyphen)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow} px wider than the screen"
    split_words = page.get_by_role("main").evaluate(
        """(main) => {
            const split = [];
            const texts = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
            while (texts.nextNode()) {
                const text = texts.currentNode;
                if (text.parentElement.closest("code, pre")) continue;
                for (const word of text.data.matchAll(/[^\\s-]+/g)) {
                    const range = document.createRange();
                    range.setStart(text, word.index);
                    range.setEnd(text, word.index + word[0].length);
                    const lines = new Set([...range.getClientRects()].map((box) => Math.round(box.top)));
                    if (lines.size > 1) split.push(word[0]);
                }
            }
            return split;
        }"""
    )
    assert split_words == [], f"{page.url} cuts these words across two lines: {split_words}"


def log_in(page: Page, *, username: str, password: str) -> None:
    """Through the admin's own login form, where a staff-only page sends a visitor."""
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

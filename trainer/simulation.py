"""Made-up customers, so a trainer can fill the screen without typing, and customers who use the real
form over HTTP (compare_modes, benchmarks). No Django imports: benchmarks use it from outside."""

import random
import time
from dataclasses import dataclass

import requests

FIRST = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
STREETS = ["Analytical St", "Compiler Way", "Kernel Lane", "Lambda Road", "Pointer Place", "Stack Street"]
PIZZAS = ["margherita", "marinara", "diavola", "quattro-formaggi", "funghi", "capricciosa", "ortolana", "hawaii"]
SIZES = ["small", "medium", "large"]


def made_up_customer(number: int, rng: random.Random | None = None) -> dict:
    """The fields of the order form, for customer `number` (unique name and email per number)."""
    rng = rng or random.Random(number)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "pizza": rng.choice(PIZZAS),
        "size": rng.choice(SIZES),
        "quantity": rng.randint(1, 3),
        "name": f"{first} {last} #{number}",
        "email": f"{first.lower()}.{last.lower()}.{number}@example.com",
        "address": f"{rng.randint(1, 99)} {rng.choice(STREETS)}",
    }


@dataclass(frozen=True)
class Submission:
    started_at: float  # time.time() when the customer pressed the button
    waited_s: float
    location: str | None  # the status page, when the order was accepted
    error: str | None  # what the form said, when it was not

    @property
    def accepted(self) -> bool:
        return self.location is not None


class FormCustomer:
    """A customer using the real order form over HTTP, as a browser does (CSRF cookie and token)."""

    def __init__(self, web_url: str, timeout_s: float = 120):
        self.web_url = web_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def open_form(self) -> dict:
        """Load the form, as a browser does: its CSRF token, and the one-time id of this submission."""
        page = self.session.get(f"{self.web_url}/", timeout=10).text
        return {
            "csrfmiddlewaretoken": _between(page, 'name="csrfmiddlewaretoken" value="', '"'),
            "submission": _between(page, 'name="submission" value="', '"'),
        }

    def submit(self, fields: dict, form: dict | None = None) -> Submission:
        """Submit `fields` through `form` (from open_form; a new one if None). Pressing the button again
        after an error means passing the same `form`: the same submission, as for a person."""
        form = form or self.open_form()
        started_at, started = time.time(), time.perf_counter()
        response = self.session.post(
            f"{self.web_url}/",
            data={**form, **{key: str(value) for key, value in fields.items()}},
            headers={"Referer": f"{self.web_url}/"},
            allow_redirects=False,
            timeout=self.timeout_s,
        )
        waited = time.perf_counter() - started
        if response.status_code == 303:
            return Submission(started_at, waited, response.headers["Location"], None)
        if response.status_code == 200 and 'class="error-summary"' in response.text:
            return Submission(started_at, waited, None, _between(response.text, "<li>", "</li>") or "error shown")
        raise RuntimeError(f"the order form answered {response.status_code}")

    def status(self, location: str) -> str:
        page = self.session.get(f"{self.web_url}{location}", timeout=10).text
        return _between(page, 'data-order-status="', '"')


def _between(text: str, start: str, end: str) -> str:
    at = text.find(start)
    if at < 0:
        return ""
    at += len(start)
    return text[at:text.index(end, at)]

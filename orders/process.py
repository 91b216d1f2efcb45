"""The order process as the domain sees it: one small port, filled in by the `workflow` app at start-up.

`orders` never imports `workflow` (the process depends on the domain, not the reverse). The order form still
has to start the process, and show which store mode it runs in: it does so through `process()`, which
`workflow.apps.WorkflowConfig.ready()` registers (`workflow.start.WorkflowEntry`). Without `workflow` in
INSTALLED_APPS, `process()` says so instead of failing somewhere deeper.
"""

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from .models import Order


class OrderNotPlaced(Exception):
    """The order could not be taken and nothing was kept; the message is for the customer."""


class OrderProcess(Protocol):
    def store_mode(self) -> str:
        """How the store-order step runs now: `sync` or `async` (orders.models.StoreMode)."""

    def submit(self, *, source: str, client_key: str | None, **fields) -> Order:
        """Place an order as a customer does; `client_key` is the client's own id for this request (the form's
        submission id). Raises OrderNotPlaced."""


_registered: OrderProcess | None = None


def register(process: OrderProcess) -> None:
    global _registered
    _registered = process


def process() -> OrderProcess:
    if _registered is None:
        raise ImproperlyConfigured("No order process is registered: is 'workflow' in INSTALLED_APPS?")
    return _registered

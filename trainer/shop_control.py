"""The trainer's remote control for the shop simulator: its knobs, ledger and stats, over HTTP only.

It sends the control token (SHOP_CONTROL_TOKEN) with every call: the shop requires it for changing knobs,
resetting and the ledger's customer details, and ignores it elsewhere.
"""

import requests
from django.conf import settings


class ShopControlError(Exception):
    """The shop could not be reached, or refused a change (then `errors` names the fields)."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.errors = errors or {}


class ShopControl:
    def __init__(self, base_url: str | None = None, timeout_s: float = 3, token: str | None = None):
        self.base_url = (base_url or settings.SHOP_URL).rstrip("/")
        self.timeout_s = timeout_s
        self.token = settings.SHOP_CONTROL_TOKEN if token is None else token

    def knobs(self) -> dict:
        return self._call("GET", "/settings")

    def configure(self, **knobs) -> dict:
        return self._call("PUT", "/settings", json=knobs)

    def reset(self) -> dict:
        return self._call("POST", "/reset", json={})

    def ledger(self, *, details: bool = True) -> list[dict]:
        """Every entry; with `details` (the default: the trainer compares customers) the customer details too."""
        return self._call("GET", "/orders", params={"details": "true"} if details else None)

    def stats(self) -> dict:
        return self._call("GET", "/stats")

    def cancel_by_shop(self, idempotency_key: str, reason: str | None = None) -> dict:
        """The shop cancels an order it had accepted (POST /orders/{key}/cancel-by-shop)."""
        body = {"reason": reason} if reason else {}
        return self._call("POST", f"/orders/{idempotency_key}/cancel-by-shop", json=body)

    def _call(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = requests.request(
                method, f"{self.base_url}{path}", headers=headers, timeout=self.timeout_s, **kwargs
            )
        except requests.RequestException as error:
            raise ShopControlError(f"the shop simulator at {self.base_url} does not answer ({error.__class__.__name__})") from error
        if response.status_code == 400:
            errors = response.json().get("errors", {})
            raise ShopControlError("the shop refused the change", errors=errors)
        if response.status_code == 401:
            raise ShopControlError(
                f"the shop simulator at {self.base_url} refused the control token: set SHOP_CONTROL_TOKEN to "
                "the token the shop was started with"
            )
        if response.status_code != 200:
            raise ShopControlError(f"the shop answered {response.status_code} to {method} {path}")
        return response.json()

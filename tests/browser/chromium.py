"""Debian's Chromium, driven by Playwright: how the browser tests and the screenshots launch it.

Playwright's own browser download (`playwright install`) is not used: the machines that run this have no
way to fetch it. `make test` and `make screenshots` install Debian's `chromium` when it is missing.
"""

from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# What a test or a screenshot sees the pages on: a laptop, and a phone held upright.
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}


class ChromiumMissing(RuntimeError):
    """Debian's chromium is not installed."""


def launch_chromium(playwright):
    """Start a headless Chromium; the caller closes it."""
    if not CHROMIUM.exists():
        raise ChromiumMissing(
            f"The browser tests need Debian's Chromium at {CHROMIUM}: run `make test` (it installs it when "
            "it runs as root), or `apt-get update && apt-get install -y chromium`."
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def only_loopback(url: str) -> bool:
    """True for an address on this machine; the pages must never reach anything else."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname in {"127.0.0.1", "localhost", "::1"}

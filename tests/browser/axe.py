"""axe-core in the browser tests: injected into a page, it reports what a screen reader or a keyboard user
would trip over. Serious and critical violations fail the test.

axe-core comes from npm, pinned here, installed on first use into var/npm/ (kept between runs).
"""

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

AXE_VERSION = "4.14.1"
NPM_DIR = Path(__file__).resolve().parents[2] / "var" / "npm"
AXE_SCRIPT = NPM_DIR / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# The name axe-core's code runs under in the page: the refusals it causes itself (it adds a <style> for some
# checks, which the app's Content-Security-Policy refuses) are the test tool's, not the page's (conftest.py).
AXE_SOURCE_URL = "test-tool-axe-core.js"


def axe_script() -> Path:
    if not _installed():
        if shutil.which("npm") is None:
            raise RuntimeError("The accessibility checks need npm (apt-get install -y npm) to fetch axe-core.")
        NPM_DIR.mkdir(parents=True, exist_ok=True)
        # The suite's processes (pytest-xdist) may all reach this on a fresh clone: one installs, the others wait.
        with open(NPM_DIR / ".install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _installed():
                subprocess.run(
                    ["npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(NPM_DIR),
                     f"axe-core@{AXE_VERSION}"],
                    check=True, capture_output=True, timeout=300,
                )
    return AXE_SCRIPT


def _installed() -> bool:
    package = NPM_DIR / "node_modules" / "axe-core" / "package.json"
    return package.exists() and json.loads(package.read_text())["version"] == AXE_VERSION


def serious_violations(page) -> list[str]:
    """Run axe-core on the page as it is now; the serious and critical violations, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated, not added as a <script>: the app's Content-Security-Policy refuses inline scripts, and
        # the test must not switch it off (bypass_csp) to look at the page.
        page.evaluate(axe_script().read_text() + f"\n//# sourceURL={AXE_SOURCE_URL}")
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['impact']}: {violation['id']} ({violation['help']}) at "
        + ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


def assert_accessible(page) -> None:
    problems = serious_violations(page)
    assert not problems, f"axe-core found serious problems on {page.url}:\n" + "\n".join(problems)

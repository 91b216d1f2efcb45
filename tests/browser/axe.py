"""axe-core, injected into a page to check it for accessibility problems a person would meet.

axe-core comes from npm, pinned, installed once into var/axe/ (a cache the tests own; `npm` must exist);
it is read from that file and injected into the page, so the page under test loads nothing from outside.
"""

import json
import subprocess
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_DIR = Path(__file__).resolve().parents[2] / "var" / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def axe_script() -> Path:
    installed = AXE_DIR / "node_modules" / "axe-core" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != AXE_VERSION:
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR),
                        f"axe-core@{AXE_VERSION}"], check=True, capture_output=True, timeout=300)
    return AXE_SCRIPT


def serious_violations(page) -> list[str]:
    """Run axe-core on the page as it is now; the serious and critical violations, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['impact']}: {violation['id']} ({violation['help']}) at "
        + ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:5])
        for violation in result["violations"]
        if violation["impact"] in SERIOUS
    ]

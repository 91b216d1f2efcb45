"""compare_modes for all scenarios, on a stack of its own (so the demo's data is left alone), with a shop
timeout above the 30 s "slow" scenario's latency. Writes docs/compare_modes.md and docs/compare_modes.svg.

Run: .venv/bin/python -m bench.compare_modes [--orders 6]
"""

import argparse
import time

from trainer.scenarios import SCENARIOS

from .stack import ROOT, Stack


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=6)
    args = parser.parse_args()
    started = time.monotonic()
    with Stack("compare-modes", SHOP_TIMEOUT_S=45, DJANGO_SECURE_COOKIES="false") as stack:
        stack.manage(
            "compare_modes",
            "--orders", str(args.orders),
            "--scenarios", ",".join(SCENARIOS),
            "--web-url", stack.web_url,
            "--settle", "300",
            "--markdown", str(ROOT / "docs" / "compare_modes.md"),
            "--chart", str(ROOT / "docs" / "compare_modes.svg"),
        )
    print(f"whole run, stack start to stop: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()

import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from trainer.charts import wait_chart_svg
from trainer.comparison import as_markdown, as_text, run_comparison
from trainer.scenarios import SCENARIOS
from trainer.shop_control import ShopControlError

DEFAULT_SCENARIOS = ["happy", "unreliable", "slow-short", "down", "lost-responses"]


class Command(BaseCommand):
    help = (
        "Run the classic scenarios in both modes against the running demo (web, worker, shop), N customers "
        "each, and print what the customers saw. Resets the shop's ledger; restores the mode it found."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=10, help="customers per scenario and mode (default 10)")
        parser.add_argument(
            "--scenarios", default=",".join(DEFAULT_SCENARIOS),
            help=f"comma-separated, from {', '.join(SCENARIOS)} (default: all but the 30 s 'slow')",
        )
        parser.add_argument("--web-url", default=settings.SITE_URL, help="where the order form is (default SITE_URL)")
        parser.add_argument("--settle", type=float, default=120, help="seconds to wait for orders to finish")
        parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
        parser.add_argument("--chart", type=Path, help="also write a chart of the waits as an SVG image")

    def handle(self, *args, orders, scenarios, web_url, settle, markdown, chart, **options):
        names = [name.strip() for name in scenarios.split(",") if name.strip()]
        unknown = [name for name in names if name not in SCENARIOS]
        if unknown or not names:
            raise CommandError(f"unknown scenario(s): {', '.join(unknown) or '(none given)'}; choose from {', '.join(SCENARIOS)}")
        if not 1 <= orders <= 200:
            raise CommandError("--orders must be between 1 and 200")
        started = time.monotonic()
        try:
            rows = run_comparison(
                scenarios=names, customers=orders, web_url=web_url, settle_timeout_s=settle, progress=self._progress
            )
        except ShopControlError as error:
            raise CommandError(f"{error}. Is the demo running (make demo)?") from error
        if sys.stdout.isatty():
            self.stdout.write("\r" + " " * 78 + "\r", ending="")  # clear the progress line
        self.stdout.write(as_text(rows))
        self.stdout.write(f"\n{len(rows)} runs of {orders} customers in {time.monotonic() - started:.0f} s.")
        if markdown:
            markdown.write_text(as_markdown(rows) + "\n")
            self.stdout.write(f"Markdown table: {markdown}")
        if chart:
            chart.write_text(wait_chart_svg(
                [(f"{row.scenario} · {row.mode}", _ms(row.wait_p50_s), _ms(row.wait_p95_s)) for row in rows],
                title="Time customers waited for the order form",
            ))
            self.stdout.write(f"Chart: {chart}")

    _last_line_at = 0.0

    def _progress(self, text: str) -> None:
        if sys.stdout.isatty():
            self.stdout.write("\r" + text[:78].ljust(78), ending="")
            self.stdout.flush()
        elif time.monotonic() - self._last_line_at >= 2:  # a log, not a flood
            self._last_line_at = time.monotonic()
            self.stdout.write(text)


def _ms(seconds):
    return None if seconds is None else seconds * 1000

import re

import pytest
from django.utils import timezone

from orders.models import StoreMode
from workflow.models import CustomerWait, WaitOutcome
from trainer.charts import wait_chart_svg
from trainer.figures import percentile
from trainer.stats import mode_figures

from ..factories import make_order


def test_percentiles_use_the_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 51
    assert percentile(values, 0.95) == 95
    assert percentile([7], 0.95) == 7
    assert percentile([], 0.5) is None


def test_the_chart_draws_a_bar_per_figure_on_one_scale():
    svg = wait_chart_svg([("sync", 2000, 4000), ("async", 40, 60)])
    assert svg.startswith("<svg") and svg.count("<rect") == 5  # background + 4 bars
    assert "p95 4.0 s" in svg and "p50 40 ms" in svg
    widths = [float(width) for width in re.findall(r'<rect x="\d+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(widths) == 4
    assert max(widths) > 50 * min(widths)  # 4 s and 40 ms really look different


def test_the_chart_says_when_there_is_nothing_yet():
    assert "no orders yet" in wait_chart_svg([("sync", None, None)])


@pytest.mark.django_db
def test_mode_figures_count_orders_waits_and_errors(menu):
    make_order(menu, mode=StoreMode.SYNC)
    for duration, outcome in [(2000, WaitOutcome.ACCEPTED), (3000, WaitOutcome.ERROR), (1000, WaitOutcome.ACCEPTED)]:
        CustomerWait.objects.create(mode=StoreMode.SYNC, started_at=timezone.now(), duration_ms=duration, outcome=outcome)
    figures = mode_figures(StoreMode.SYNC)
    assert figures.orders == 1 and figures.counts["received"] == 1
    assert figures.errors_shown == 1
    assert figures.wait_p50_ms == 2000 and figures.wait_p95_ms == 3000
    assert mode_figures(StoreMode.ASYNC).orders == 0

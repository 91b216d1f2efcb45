"""The waiting-time chart, drawn as SVG on the server: no JavaScript, no CDN, and the same picture for
the dashboard and for compare_modes' image file."""

from django.utils.html import escape

from core.durations import human_duration

WIDTH, ROW, LABEL, PAD = 640, 46, 120, 12
COLOURS = {"p50": "#c0392b", "p95": "#e8a39b"}


def wait_chart_svg(rows: list[tuple[str, float | None, float | None]], *, title: str = "Time customers waited for the form") -> str:
    """rows: (label, p50 ms, p95 ms). Bars on one scale, so the modes compare at a glance."""
    values = [value for _, p50, p95 in rows for value in (p50, p95) if value is not None]
    scale_max = max(values + [1.0])
    plot = WIDTH - LABEL - 90
    height = PAD * 2 + 28 + ROW * len(rows) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-title" font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        f'<text x="{PAD}" y="{PAD + 14}" font-weight="700">{escape(title)}</text>',
    ]
    for index, (label, p50, p95) in enumerate(rows):
        top = PAD + 28 + index * ROW
        parts.append(f'<text x="{PAD}" y="{top + 22}">{escape(label)}</text>')
        for offset, (name, value) in enumerate((("p95", p95), ("p50", p50))):
            if value is None:
                continue
            width = max(1.0, plot * value / scale_max)
            y = top + 6 + offset * 16
            parts.append(f'<rect x="{LABEL}" y="{y}" width="{width:.1f}" height="14" fill="{COLOURS[name]}"/>')
            parts.append(f'<text x="{LABEL + width + 6:.1f}" y="{y + 12}">{name} {format_ms(value)}</text>')
        if p50 is None:
            parts.append(f'<text x="{LABEL}" y="{top + 22}" fill="#666">no orders yet</text>')
    legend_y = height - PAD
    parts.append(f'<text x="{LABEL}" y="{legend_y}" fill="#555">median (p50) dark, 95th percentile (p95) light</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def format_ms(value: float) -> str:
    return human_duration(value / 1000)

"""One way to write a duration for people, on every page, chart and message: "40 ms", "4.2 s", "42 s",
"5 min", "5 min 3 s", "2 h 5 min"."""

from datetime import timedelta


def human_duration(value: float | timedelta | None) -> str:
    """`value` in seconds (or a timedelta); "" for None. Negative durations read as 0."""
    if value is None:
        return ""
    seconds = max(0.0, value.total_seconds() if isinstance(value, timedelta) else float(value))
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    whole = round(seconds)
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(whole // 60, 60)
    return f"{hours} h {minutes} min"

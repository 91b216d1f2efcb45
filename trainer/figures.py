"""Small statistics for the trainer's figures; no Django here, so benchmarks can use it too."""


def percentile(values, fraction: float) -> float | None:
    """The value below which `fraction` of the values lie (nearest rank); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))
    return ordered[rank]

"""Typed readers for the environment. Settings are the only module that reads os.environ."""

import os

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    return _env_number(name, default, int, "a whole number", minimum)


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    return _env_number(name, default, float, "a number", minimum)


def _env_number(name, default, parse, kind: str, minimum):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(name: str, default: str) -> tuple[int, int] | None:
    """A rate such as "60/m" as (count, period in seconds); None for "off"."""
    raw = (os.environ.get(name) or default).strip().lower()
    if raw in {"off", "0", "none"}:
        return None
    count, _, period = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in RATE_PERIODS:
        raise ImproperlyConfigured(f"{name} must look like 60/m (a count per s, m, h or d) or be off, not {raw!r}")
    return int(count), RATE_PERIODS[period]


def env_host_ports(name: str) -> list[tuple[str, int]]:
    """Comma-separated HOST:PORT entries ("127.0.0.1:9000, [::1]:9000, hooks.example:443") as (host, port),
    the host lower-cased and without brackets. A host alone is refused: it would name every port it has."""
    pairs = []
    for entry in env_list(name, []):
        host, colon, port = entry.rpartition(":")
        bare = host.strip("[]")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536 or (":" in bare) != host.startswith("["):
            raise ImproperlyConfigured(
                f"{name} entries name a host and its port (127.0.0.1:9000, [::1]:9000, hooks.example:443), "
                f"not {entry!r}: a host alone would let notifications reach every port it has"
            )
        pairs.append((bare.lower(), int(port)))
    return pairs

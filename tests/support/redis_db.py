"""The Redis database that the scale-out tests may flush, one per pytest-xdist process."""

import os


def scale_out_redis() -> str:
    """SCALE_OUT_REDIS (default `redis://127.0.0.1:6379/15`) with its DB index lowered by this xdist process's
    number (gw0: 15, gw1: 14, ...): the tests that flush it and count the clusters on it run at the same time
    in different processes, and must not see each other's clusters or lose each other's keys."""
    base, _, index = os.environ.get("SCALE_OUT_REDIS", "redis://127.0.0.1:6379/15").rpartition("/")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    return f"{base}/{int(index) - worker}"

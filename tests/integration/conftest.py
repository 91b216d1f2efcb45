import pytest


@pytest.fixture
def no_other_cluster(worker_cluster):
    """The suite's cluster stopped for the test: its queue probe (QUEUE_PROBE_INTERVAL_S) and sweeps would send
    wake-ups of their own, and its poll and scheduler tick would find the test's jobs and schedules first."""
    worker_cluster.stop()
    yield
    worker_cluster.start()

"""`make demo` (and `make serve`) stop everything they started on Ctrl-C (docs/CONTRACTS.md): each child runs in
a process group of its own, gets exactly one SIGTERM from the supervisor, and whatever it leaves behind goes
with it (asyncpizza/processes.py)."""

import os
import signal
import subprocess
import sys

import pytest

from django.conf import settings

from asyncpizza.processes import start, stop_all
from tests.support.waiting import wait_until

# A child that ignores SIGTERM and starts a grandchild that ignores it too (as a cluster's sentinel and
# workers outlive a deadlocked qcluster), writing the grandchild's pid where the test can read it.
STUBBORN = (
    "import os, signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "g = subprocess.Popen([sys.executable, '-c', 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)']); "
    "open(os.environ['GRANDCHILD_PID_FILE'], 'w').write(str(g.pid)); time.sleep(120)"
)


def start_child(argv: list[str], env: dict | None = None):
    """`manage.py <argv>`, started as the demo starts its three."""
    return start([sys.executable, "manage.py", *argv], cwd=settings.BASE_DIR, env=env)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie has stopped; its parent has not reaped it


def test_a_terminals_ctrl_c_reaches_the_demo_only(tmp_path):
    child = start_child(["shell", "-c", "import time; time.sleep(120)"])
    try:
        assert os.getpgid(child.pid) == child.pid != os.getpgid(0)
    finally:
        stop_all([child], grace_s=5)
    assert child.poll() is not None


def test_nothing_a_child_started_outlives_the_demo(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    child = start_child(["shell", "-c", STUBBORN], env={**os.environ, "GRANDCHILD_PID_FILE": str(pid_file)})
    grandchild = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), timeout=30,
                                message="the grandchild's pid"))
    stop_all([child], grace_s=1)
    try:
        wait_until(lambda: not alive(grandchild), timeout=5, message="the grandchild to end")
    except AssertionError:
        os.kill(grandchild, signal.SIGKILL)
        pytest.fail("the grandchild outlived the demo")
    assert child.poll() is not None


# A child that counts its starts in a file, then stops after a moment (a crash, an OOM kill).
SHORT_LIVED = "import os, time; open(os.environ['STARTS_FILE'], 'a').write('.'); time.sleep(0.3); raise SystemExit(3)"
SUPERVISOR = (
    "import os, sys; from asyncpizza.processes import handle_stop_signals, start, supervise; handle_stop_signals(); "
    "child = start([sys.executable, '-c', os.environ['CHILD']], cwd='.'); "
    "sys.exit(supervise({'worker': child}, lambda line: print(line, flush=True)))"
)


def test_the_supervisor_starts_a_child_that_stopped_again_with_a_back_off_and_says_so(tmp_path):
    starts_file = tmp_path / "starts"
    env = {**os.environ, "STARTS_FILE": str(starts_file), "CHILD": SHORT_LIVED}
    supervisor = subprocess.Popen([sys.executable, "-c", SUPERVISOR], cwd=settings.BASE_DIR, env=env,
                                  stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(starts_file.read_text() if starts_file.exists() else "") < 3:
            time.sleep(0.1)
        assert starts_file.read_text() == "..."  # started, then twice again (after 1 s, then 2 s)
    finally:
        supervisor.send_signal(signal.SIGTERM)
        output, _ = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 0
    assert "The worker process stopped (exit code 3); starting it again in 1 s (restart 1)." in output
    assert "starting it again in 2 s (restart 2)." in output

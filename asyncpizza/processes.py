"""Running a few long-lived processes together (the demo's three, the production profile's two) until
Ctrl-C or SIGTERM stops all; one that exits meanwhile is started again, after a back-off, with a line in
the output (as systemd's `Restart=always` would: docs/DEPLOYMENT.md)."""

import os
import signal
import subprocess
import time


# The first restart comes after RESTART_BACKOFF_S, each next one of a child that keeps stopping after twice
# as long, up to RESTART_BACKOFF_CAP_S; a child that ran for RESTART_RESET_AFTER_S starts over at the first.
RESTART_BACKOFF_S = 1.0
RESTART_BACKOFF_CAP_S = 30.0
RESTART_RESET_AFTER_S = 60.0


def start(argv: list[str], *, cwd, env: dict | None = None) -> subprocess.Popen:
    """Start one of the processes in a process group of its own. A terminal's Ctrl-C then reaches the
    supervisor alone, which stops each child with exactly one SIGTERM: django-q2's cluster can deadlock in
    its signal handler when a second signal arrives during the first one's stop (SIGINT from the terminal,
    then our SIGTERM; django-q2/django-q2#346), and its sentinel and workers then outlive us.
    The process remembers how it was started, so that `supervise` can start it again."""
    process = subprocess.Popen(argv, cwd=cwd, env=env, process_group=0)
    process.start_again = lambda: start(argv, cwd=cwd, env=env)
    process.started_at = time.monotonic()
    return process


def supervise(children: dict[str, subprocess.Popen], report) -> int:
    """Run until Ctrl-C/SIGTERM, then stop them all (exit code 0). A child that exits is started again after
    a back-off; `report(text)` is told each time. Call `handle_stop_signals()` before starting the children
    (each with `start`)."""
    restarts = {name: 0 for name in children}
    due = {}  # name -> when it is started again
    try:
        while True:
            now = time.monotonic()
            for name, child in children.items():
                if name in due:
                    if now >= due[name]:
                        del due[name]
                        children[name] = child.start_again()
                    continue
                if child.poll() is None:
                    continue
                if now - child.started_at >= RESTART_RESET_AFTER_S:
                    restarts[name] = 0
                wait_s = min(RESTART_BACKOFF_CAP_S, RESTART_BACKOFF_S * 2 ** restarts[name])
                restarts[name] += 1
                due[name] = now + wait_s
                _kill_group(child)  # whatever it left behind (a cluster's sentinel and workers) goes with it
                report(f"The {name} process stopped (exit code {child.returncode}); starting it again in "
                       f"{wait_s:g} s (restart {restarts[name]}).")
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop_all(children.values())
    return 0


def handle_stop_signals() -> None:
    # Ctrl-C and SIGTERM (a supervisor, `kill`) stop all. SIGINT is set explicitly too: a command started in
    # the background of a script inherits it ignored, and would then outlive its Ctrl-C.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def stop_all(children, grace_s: float = 10) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        _kill_group(child)


def _kill_group(child: subprocess.Popen) -> None:
    # Whatever the child started and left behind (a cluster's sentinel and workers) goes with it.
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass

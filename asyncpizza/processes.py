"""Running a few long-lived processes together (the demo's three, the production profile's two) until
Ctrl-C or SIGTERM, or until one of them stops: then all are stopped."""

import os
import signal
import subprocess
import time


def start(argv: list[str], *, cwd, env: dict | None = None) -> subprocess.Popen:
    """Start one of the processes in a process group of its own. A terminal's Ctrl-C then reaches the
    supervisor alone, which stops each child with exactly one SIGTERM: django-q2's cluster can deadlock in
    its signal handler when a second signal arrives during the first one's stop (SIGINT from the terminal,
    then our SIGTERM; django-q2/django-q2#346), and its sentinel and workers then outlive us."""
    return subprocess.Popen(argv, cwd=cwd, env=env, process_group=0)


def supervise(children: dict[str, subprocess.Popen], report) -> int:
    """Wait until Ctrl-C/SIGTERM (exit code 0) or a child's exit (its code, at least 1); stop them all.

    `report(text)` is told which child stopped. Call `handle_stop_signals()` before starting the children
    (each with `start`)."""
    exit_code = 0
    try:
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    report(f"The {name} process stopped (exit code {child.returncode}); stopping the others.")
                    exit_code = child.returncode or 1
                    raise StopIteration
            time.sleep(0.5)
    except (KeyboardInterrupt, StopIteration):
        pass
    finally:
        stop_all(children.values())
    return exit_code


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
        # Whatever the child started and left behind (a cluster's sentinel and workers) goes with it.
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

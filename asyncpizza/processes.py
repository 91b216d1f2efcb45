"""Running a few long-lived processes together (the demo's three, the production profile's two) until
Ctrl-C or SIGTERM, or until one of them stops: then all are stopped."""

import signal
import subprocess
import time


def supervise(children: dict[str, subprocess.Popen], report) -> int:
    """Wait until Ctrl-C/SIGTERM (exit code 0) or a child's exit (its code, at least 1); stop them all.

    `report(text)` is told which child stopped. Call `handle_stop_signals()` before starting the children."""
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

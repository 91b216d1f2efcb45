"""Before and after starting the demo's processes: are its ports free (and if not, who holds them), and does
each process answer yet. Kept apart from processes.py (which starts and supervises them) so that each can
change on its own."""

import errno
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import requests

PROC = Path("/proc")


class PortBusy(Exception):
    """A port the demo needs is taken; the message says by what, and how to choose another."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True if a server could listen on host:port now (the way runserver binds: SO_REUSEADDR on)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in {errno.EADDRINUSE, errno.EACCES}:
                return False
            raise
    return True


def _listening_inodes(port: int) -> set[str]:
    """The socket inodes listening on `port` (any address), from /proc/net/tcp and tcp6 (Linux)."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def port_holder(port: int) -> str | None:
    """"pid 1234: python manage.py runserver 127.0.0.1:8000" for the process listening on `port`, if this
    user may see it; None otherwise (another user's process, or not Linux)."""
    targets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not targets:
        return None
    for process in PROC.iterdir():
        if not process.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in targets for fd in (process / "fd").iterdir()):
                command = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                return f"pid {process.name}: {command}"
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return None


def check_ports(ports: dict[str, int]) -> None:
    """Raise PortBusy naming every busy port of `ports` (what it is for -> port), who holds it, and the
    make variable that moves it."""
    variables = {"web": "PORT", "shop": "SHOP_PORT"}
    problems = []
    for name, port in ports.items():
        if port_is_free(port):
            continue
        holder = port_holder(port)
        who = f"held by {holder}" if holder else "held by another process (one this user cannot see)"
        variable = variables.get(name, name.upper())
        problems.append(
            f"Port {port} (the {name}) is already in use, {who}.\n"
            f"  Stop that process, or choose another port: make demo {variable}={_suggest(port, ports)}"
        )
    if problems:
        both = " ".join(f"{variables.get(n, n)}={_suggest(p, ports)}" for n, p in ports.items())
        raise PortBusy("\n".join(problems) + f"\n  (both at once: make demo {both})")


def _suggest(port: int, ports: dict[str, int]) -> int:
    """A free port near `port` that none of `ports` uses."""
    for candidate in range(port + 100, port + 1100, 100):
        if candidate not in ports.values() and candidate < 65536 and port_is_free(candidate):
            return candidate
    return port + 100


def wait_until_ready(checks: dict[str, Callable[[], bool]], *, alive: Callable[[], str | None],
                     timeout_s: float = 90, poll_s: float = 0.25) -> list[str]:
    """Poll each check until all answer True; returns the names still not ready after `timeout_s` (empty
    when all are). `alive()` names a process that stopped meanwhile (then waiting ends at once)."""
    pending = dict(checks)
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        if alive() is not None:
            break
        for name, check in list(pending.items()):
            if check():
                del pending[name]
        if pending:
            time.sleep(poll_s)
    return list(pending)


def answers_http(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return requests.get(url, timeout=2, allow_redirects=False).status_code < 500
        except requests.RequestException:
            return False
    return check


def workers_answer() -> bool:
    """True once a worker cluster has saved its status with live workers (django-q2's Stat, in the shared
    cache the demo's processes use)."""
    from django.db import DatabaseError

    from console.queue import clusters, workers_alive  # Django is set up by now (a management command)

    try:
        return workers_alive(clusters()) > 0
    except DatabaseError:  # SQLite busy while the cluster starts: ask again on the next poll
        return False

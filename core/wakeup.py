"""Wake-ups for the ORM broker: a queued job's commit tells the waiting clusters to look now, not at the next poll.

A wake-up never travels ahead of the job's commit:
- PostgreSQL: `NOTIFY` in the transaction that inserts the job. PostgreSQL delivers it only when that
  transaction commits, and never if it rolls back. The broker waits with `LISTEN` on a connection of its own.
- SQLite: a datagram sent from `transaction.on_commit`, i.e. after the commit, to every cluster's Unix socket in a
  directory beside the database file (`<database>.wakeup/<pid>`): the processes that share the database file are
  exactly the ones that share its queue. Nothing is sent for a rolled-back transaction.

A wake-up only says "look at the queue now": the job is the committed row, and the broker's own query claims it
(the job's id travels along for whoever watches, the broker ignores it). Lost, early, duplicated or seen by
several clusters, it costs at most one query or one poll (docs/ARCHITECTURE.md, "Waking the worker at commit").
"""

import logging
import os
import select
import socket
from pathlib import Path

from django.db import connections, transaction

logger = logging.getLogger(__name__)

# AF_UNIX paths are at most 107 bytes on Linux; a longer one cannot be bound, and the broker then only polls.
_UNIX_PATH_MAX = 107


def announce(list_key: str, using: str, job_id) -> None:
    """Wake the clusters waiting on `list_key`'s queue once the caller's transaction (or, outside one, the
    statement just made) has committed. Called right after the job's row (`job_id`: its id, the wake-up's
    payload, for whoever watches them) was inserted on `using`."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [postgres_channel(list_key), str(job_id)])
    elif connection.vendor == "sqlite":
        directory = socket_directory(using)
        if directory is not None:
            # robust: whatever happens to a wake-up, the committed order's request goes on.
            transaction.on_commit(lambda: ring(directory, str(job_id)), using=using, robust=True)


def listener(list_key: str, using: str):
    """What the broker waits on in this process: a PostgresListener, a SocketListener, or None (poll only)."""
    connection = connections[using]
    try:
        if connection.vendor == "postgresql":
            return PostgresListener(using, postgres_channel(list_key))
        if connection.vendor == "sqlite" and (directory := socket_directory(using)) is not None:
            return SocketListener(directory)
    except (OSError, connection.Database.Error) as error:
        logger.warning("No wake-ups for the queue (it is polled instead): %s", error)
    return None


def postgres_channel(list_key: str) -> str:
    return f"django_q_{list_key}"[:63]  # a PostgreSQL identifier


def socket_directory(using: str) -> Path | None:
    """`<database file>.wakeup`, or None for an in-memory database (no other process shares its queue)."""
    name = str(connections[using].settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return None
    return Path(f"{Path(name).resolve()}.wakeup")


def ring(directory: Path, payload: str = "") -> int:
    """Send one datagram to every listener's socket in `directory`; returns how many listeners it reached.
    Never raises: a wake-up that cannot be sent is a wake-up lost, and the poll picks the job up."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0  # no cluster has ever listened here
    reached = 0
    try:
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    except OSError:
        return 0  # out of file descriptors, say: the poll will do
    with sender:
        for entry in entries:
            try:
                sender.sendto(payload.encode(), socket.MSG_DONTWAIT, entry.path)
                reached += 1
            except ConnectionRefusedError:
                _remove(entry.path)  # nobody is bound to it any more: a cluster that died
            except BlockingIOError:
                reached += 1  # its buffer is full: a wake-up is pending there already
            except OSError:
                pass  # it just went away
    return reached


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class SocketListener:
    """A Unix datagram socket bound at `<directory>/<pid>` (SQLite)."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = str(directory / str(os.getpid()))
        if len(self.path.encode()) > _UNIX_PATH_MAX:
            raise OSError(f"socket path too long for AF_UNIX: {self.path}")
        self._bind()

    def _bind(self) -> None:
        _remove(self.path)  # left by an earlier process with this pid
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.socket.setblocking(False)

    def drain(self) -> None:
        """Forget the wake-ups received so far (the query about to run sees their jobs)."""
        try:
            while True:
                self.socket.recv(64)
        except BlockingIOError:
            pass
        if not os.path.exists(self.path):  # removed under us (a senders' cleanup race, a tidy-up): bind anew
            self.socket.close()
            self._bind()

    def wait(self, timeout: float) -> bool:
        """True as soon as a wake-up arrives, False after `timeout` seconds without one."""
        readable, _, _ = select.select([self.socket], [], [], timeout)
        return bool(readable)

    def close(self) -> None:
        self.socket.close()
        _remove(self.path)


class PostgresListener:
    """A connection of its own, outside any transaction, that has run `LISTEN <channel>` (PostgreSQL)."""

    def __init__(self, using: str, channel: str):
        import psycopg
        from psycopg import sql

        self._error = psycopg.Error
        params = connections[using].get_connection_params()
        self.connection = psycopg.connect(**params, autocommit=True)
        self.connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def drain(self) -> None:
        try:
            for _ in self.connection.notifies(timeout=0):
                pass
        except self._error as error:
            raise OSError(f"LISTEN connection lost: {error}") from error

    def wait(self, timeout: float) -> bool:
        try:
            return any(True for _ in self.connection.notifies(timeout=timeout, stop_after=1))
        except self._error as error:
            raise OSError(f"LISTEN connection lost: {error}") from error

    def close(self) -> None:
        self.connection.close()

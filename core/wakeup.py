"""Wake-ups at commit: a committed row tells the processes waiting for such rows to look now, not at their next
poll. Two topics: the ORM broker's queue (a job: core.broker.WakingORM) and django-q2's schedules (a retry's
one-off schedule: core.schedule_clock.ScheduleClock).

A wake-up never travels ahead of the row's commit:
- PostgreSQL: `NOTIFY` in the transaction that inserts the row. PostgreSQL delivers it only when that
  transaction commits, and never if it rolls back. The waiter waits with `LISTEN` on a connection of its own.
- SQLite: a datagram sent from `transaction.on_commit`, i.e. after the commit, to every waiter's Unix socket in a
  directory beside the database file (`<database>.wakeup/<pid>` for the queue, `<database>.wakeup-schedules/<pid>`
  for the schedules): the processes that share the database file are exactly the ones that share its rows.
  Nothing is sent for a rolled-back transaction.

A wake-up only says "look now": the row is what counts, and the waiter's own query finds it (the row's id travels
along for whoever watches, the waiters ignore it). Lost, early, duplicated or seen by several processes, it costs
at most one query or one poll (docs/ARCHITECTURE.md, "Waking the worker at commit").
"""

import logging
import os
import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connections, transaction

logger = logging.getLogger(__name__)

# AF_UNIX paths are at most 107 bytes on Linux; a longer one cannot be bound, and the broker then only polls.
_UNIX_PATH_MAX = 107


@dataclass(frozen=True)
class Topic:
    """What a wake-up is about, and where its waiters listen."""

    name: str  # for the logs
    channel: str  # PostgreSQL: the NOTIFY / LISTEN channel
    suffix: str = ".wakeup"  # SQLite: the waiters' sockets are in `<database file><suffix>/`


def queue_topic(list_key: str) -> Topic:
    """A job committed on the ORM broker's queue `list_key` (core.broker.WakingORM)."""
    return Topic("the queue", postgres_channel(list_key))


# A one-off schedule committed (core.queue.schedule_once): the qcluster parent's ScheduleClock looks again.
SCHEDULES = Topic("the schedules", "asyncpizza_schedules", ".wakeup-schedules")


def announce(topic: Topic, using: str, row_id) -> None:
    """Wake the processes waiting on `topic` once the caller's transaction (or, outside one, the statement just
    made) has committed. Called right after the row (`row_id`: its id, the wake-up's payload, for whoever watches
    them) was written on `using`."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [topic.channel, str(row_id)])
    elif connection.vendor == "sqlite":
        directory = socket_directory(using, topic.suffix)
        if directory is not None:
            # robust: whatever happens to a wake-up, the committed request goes on.
            transaction.on_commit(lambda: ring(directory, str(row_id)), using=using, robust=True)


def listener(topic: Topic, using: str):
    """What a waiter in this process waits on: a PostgresListener, a SocketListener, or None (poll only)."""
    connection = connections[using]
    try:
        if connection.vendor == "postgresql":
            return PostgresListener(using, topic.channel)
        if connection.vendor == "sqlite" and (directory := socket_directory(using, topic.suffix)) is not None:
            return SocketListener(directory)
    except (OSError, connection.Database.Error) as error:
        logger.warning("No wake-ups for %s (polled instead): %s", topic.name, error)
    return None


def postgres_channel(list_key: str) -> str:
    return f"django_q_{list_key}"[:63]  # a PostgreSQL identifier


def socket_directory(using: str, suffix: str = ".wakeup") -> Path | None:
    """`<database file><suffix>` (the queue's by default), or None for an in-memory database (no other process
    shares its rows)."""
    name = str(connections[using].settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return None
    return Path(f"{Path(name).resolve()}{suffix}")


def ring(directory: Path, payload: str = "") -> int:
    """Send one datagram to every listener's socket in `directory`; returns how many listeners it reached.
    Never raises: a wake-up that cannot be sent is a wake-up lost, and the poll finds the row."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0  # nobody has ever listened here
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
                _remove(entry.path)  # nobody is bound to it any more: a process that died
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
        """Forget the wake-ups received so far (the query about to run sees their rows)."""
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


class Waiter:
    """A loop's way to wait on `topic`: `drain()` before its query, `wait(timeout)` after it.

    The listener is made lazily in the process that waits (a forked child makes its own), made again at the
    next drain after it broke, and tried again LISTENER_RETRY_S after it could not be made (the database down,
    say); meanwhile `wait` is a plain sleep, so the loop polls as it would without wake-ups."""

    LISTENER_RETRY_S = 30

    def __init__(self, topic: Topic, using: str):
        self.topic, self.using = topic, using
        self._listener = None
        self._pid = None
        self._retry_at = 0.0  # time.monotonic() when a missing listener is tried again

    def drain(self) -> None:
        """Forget the wake-ups received so far: call it before the query, so that a row committed after the
        query leaves a wake-up pending for the next wait."""
        try:
            if (current := self._current()) is not None:
                current.drain()
        except OSError as error:
            self._lose(error)

    def wait(self, timeout: float) -> bool:
        """True as soon as a wake-up arrives, False after `timeout` seconds without one."""
        current = self._current()
        if current is not None:
            try:
                return current.wait(timeout)
            except OSError as error:
                self._lose(error)
        time.sleep(timeout)
        return False

    def close(self) -> None:
        if self._listener is not None and self._pid == os.getpid():
            self._listener.close()
        self._listener = None

    def _current(self):
        now = time.monotonic()
        if self._pid != os.getpid() or (self._listener is None and now >= self._retry_at):
            self._listener = listener(self.topic, self.using)
            self._pid = os.getpid()
            self._retry_at = now + self.LISTENER_RETRY_S
        return self._listener

    def _lose(self, error: OSError) -> None:
        logger.warning("Wake-ups for %s lost (polling until they are back): %s", self.topic.name, error)
        try:
            self._listener.close()
        except Exception:  # noqa: BLE001 - it is broken already; a new one is made at the next drain
            pass
        self._listener, self._retry_at = None, 0.0

"""Locks held across get-or-create: PostgreSQL advisory locks and SQLite file locks.

PostgreSQL: a session-level ``pg_advisory_lock`` on a connection the thread
checks out for the ``with`` block. The backend runs that thread's lookups
and saves on the same connection while the lock is held (so a thread never
needs a second pooled connection, and a lock can't starve the pool), and the
server releases the lock if the connection or the process dies.

SQLite: an OS file lock per key beside the database file, a
:class:`livelike.files.FileLock` that :meth:`SQLBackend.lock` returns (a write
transaction held across the create would block the save, and every other
key's writer, for as long as the service call takes). The kernel releases it
if the process dies.

Both are reentrant in one thread and independent between threads and keys.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from livelike.errors import StorageError

if TYPE_CHECKING:
    from sqlalchemy import Connection

logger = logging.getLogger("livelike.sql")

LOCK_NOT_AVAILABLE = "55P03"
"""PostgreSQL's SQLSTATE when ``lock_timeout`` expires."""


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a DBAPI error wrapped by SQLAlchemy (psycopg 3 or psycopg2), if any."""
    orig = getattr(exc, "orig", None)
    for name in ("sqlstate", "pgcode"):
        value = getattr(orig, name, None)
        if isinstance(value, str):
            return value
    return None


class Held:
    """The connection a thread holds its advisory locks on.

    Attributes:
        conn: the checked-out connection.
        depth: how many ``with`` blocks hold a lock on it.
        broken: set when a statement failed on it: the locks may be gone, so
            nothing more runs on it and it is closed, not pooled, at the end.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.depth = 0
        self.broken = False


class LockConnections:
    """Each thread's lock connection, for one backend."""

    def __init__(self) -> None:
        self._local = threading.local()

    def current(self) -> Held | None:
        """The calling thread's lock connection, or None when it holds no lock."""
        held: Held | None = getattr(self._local, "held", None)
        return held

    def take(self, connect: Callable[[], Connection]) -> Held:
        """The calling thread's lock connection, checked out with ``connect`` if none."""
        held = self.current()
        if held is None:
            held = Held(connect())
            self._local.held = held
        held.depth += 1
        return held

    def give_back(self, held: Held) -> None:
        """Undo one :meth:`take`; the last returns the connection (or closes a broken one)."""
        held.depth -= 1
        if held.depth > 0:
            return
        self._local.held = None
        try:
            if held.broken:
                held.conn.invalidate()  # closed, so the server drops any lock left on it
            held.conn.close()
        except Exception as exc:  # the connection is gone either way
            logger.warning("sql storage could not return its lock connection: %s", exc)


class AdvisoryLock:
    """``pg_advisory_lock(number)`` for the ``with`` block, waiting at most ``timeout``.

    Raises StorageError on entry when the wait times out or the database fails.
    """

    def __init__(
        self,
        connections: LockConnections,
        connect: Callable[[], Connection],
        number: int,
        *,
        timeout: float,
        fail: Callable[[str, BaseException], StorageError],
        what: str,
    ) -> None:
        self._connections = connections
        self._connect = connect
        self._number = number
        self._timeout = timeout
        self._fail = fail
        self._what = what
        self._held: Held | None = None

    def __enter__(self) -> None:
        from sqlalchemy import func, select
        from sqlalchemy.exc import SQLAlchemyError

        held = self._connections.take(self._connect)
        try:
            if held.broken:
                raise StorageError(
                    f"sql storage lost the connection holding this thread's locks; "
                    f"not locking {self._what} on it",
                    backend="sql",
                )
            milliseconds = max(1, round(self._timeout * 1000))  # 0 would mean "forever"
            with held.conn.begin():
                held.conn.execute(
                    select(func.set_config("lock_timeout", f"{milliseconds}ms", True))
                )
                held.conn.execute(select(func.pg_advisory_lock(self._number)))
        except SQLAlchemyError as exc:
            timed_out = sqlstate(exc) == LOCK_NOT_AVAILABLE
            held.broken = held.broken or not timed_out
            self._connections.give_back(held)
            if timed_out:
                raise StorageError(
                    f"sql storage timed out after {self._timeout:g}s waiting for the lock "
                    f"on {self._what}, held by another connection (a process or host creating "
                    "its profile)",
                    backend="sql",
                ) from None
            raise self._fail("lock", exc) from None
        except BaseException:
            held.broken = True  # interrupted: the lock may be held; closing drops it
            self._connections.give_back(held)
            raise
        self._held = held

    def __exit__(self, *exc_info: object) -> None:
        from sqlalchemy import func, select
        from sqlalchemy.exc import SQLAlchemyError

        held, self._held = self._held, None
        if held is None:
            return
        try:
            if not held.broken:
                with held.conn.begin():
                    released = held.conn.execute(
                        select(func.pg_advisory_unlock(self._number))
                    ).scalar()
                if not released:
                    logger.warning("sql storage: the lock on %s was no longer held", self._what)
        except SQLAlchemyError as exc:
            held.broken = True
            logger.warning(
                "sql storage could not unlock %s (%s); closing its connection releases it",
                self._what,
                type(exc).__name__,
            )
        finally:
            self._connections.give_back(held)

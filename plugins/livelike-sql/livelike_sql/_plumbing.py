"""The database plumbing of the ``sql`` backend: the engine, set up once; transactions;
lock connections; and failures turned into messages without statements, tokens or passwords.

:class:`Plumbing` is a base of :class:`~livelike_sql.SQLBackend`, which holds the
attributes it uses.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar

from livelike.errors import StorageError
from livelike.files import scrub
from livelike.storage import LockScope, StorageKey
from livelike_sql._locks import LockConnections

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from livelike_sql._engine import Target
    from livelike_sql._schema import Schema

__all__ = ["Plumbing", "reason"]


def reason(exc: BaseException, secrets: Iterable[str]) -> str:
    """One line saying why ``exc`` happened, without statement, parameters or secrets.

    For a database error that is its primary message: PostgreSQL's DETAIL
    lines can quote a failing row, and rows hold tokens.
    """
    source = getattr(exc, "orig", None)
    if not isinstance(source, BaseException):
        source = exc
    primary = getattr(getattr(source, "diag", None), "message_primary", None)
    text = primary if isinstance(primary, str) and primary.strip() else str(source)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found = f"{type(source).__name__}: {lines[0]}" if lines else type(source).__name__
    return scrub(found, *secrets)


class Plumbing:
    """Engine, schema, transactions and lock connections for one backend instance."""

    name: ClassVar[str]
    table: str
    lock_timeout: float
    _url: str | None
    _setup: threading.Lock
    _target: Target | None
    _engine: Engine | None
    _schema: Schema | None
    _dispose: weakref.finalize[[], Plumbing] | None
    _lock_connections: LockConnections

    def _resolve(self) -> Target:
        target = self._target
        if target is None:
            from livelike_sql._engine import resolve

            target = self._target = resolve(self._url)
        return target

    @property
    def lock_scope(self) -> LockScope:
        """``shared`` on a server database (an advisory lock all hosts see); ``host`` on SQLite."""
        try:
            return "host" if self._resolve().sqlite_path is not None else "shared"
        except Exception:
            return "shared"

    def _where(self) -> str:
        return f"{self._resolve().masked()} (table {self.table})"

    def _fail(
        self,
        action: str,
        exc: BaseException,
        key: StorageKey | None = None,
        secrets: Iterable[str] = (),
    ) -> StorageError:
        target = self._target
        hidden = [*(target.secrets() if target is not None else []), *secrets]
        what = f" for {key}" if key is not None else ""
        return StorageError(
            f"sql storage could not {action}{what} at {self._where()}: {reason(exc, hidden)}",
            backend=self.name,
        )

    def _ready(self) -> tuple[Engine, Schema]:
        """The engine, with the tables created or checked (once per instance)."""
        engine, schema = self._engine, self._schema
        if engine is not None and schema is not None:
            return engine, schema
        from sqlalchemy.exc import SQLAlchemyError

        from livelike_sql import _engine
        from livelike_sql._schema import Schema

        with self._setup:
            target = self._resolve()
            if self._engine is None:
                try:
                    self._engine = _engine.build(target, lock_timeout=self.lock_timeout)
                    # Pooled connections are closed when the backend is collected or at exit.
                    self._dispose = weakref.finalize(self, self._engine.dispose)
                except StorageError:
                    raise
                except Exception as exc:
                    hint = ""
                    if isinstance(exc, ImportError) and target.dialect == "postgresql":
                        hint = " (pip install 'livelike-sql[postgresql]')"
                    raise self._fail(f"set up the database engine{hint}", exc) from None
            engine = self._engine
            if self._schema is None:
                schema = Schema(self.table)
                try:
                    with engine.connect() as conn:
                        conn.execution_options(**{_engine.WRITE_OPTION: True})
                        with conn.begin():
                            schema.ensure(conn, self._where())
                except SQLAlchemyError as exc:
                    raise self._fail("create or check its tables", exc) from None
                self._schema = schema
            return engine, self._schema

    @contextlib.contextmanager
    def _transaction(
        self, action: str, key: StorageKey | None, *, write: bool, secrets: Iterable[str] = ()
    ) -> Iterator[tuple[Connection, Schema]]:
        """A connection in a transaction, committed when the block ends without error.

        Inside :meth:`lock` on PostgreSQL it is the thread's lock connection.
        """
        from sqlalchemy.exc import SQLAlchemyError

        from livelike_sql._engine import WRITE_OPTION

        engine, schema = self._ready()
        held = self._lock_connections.current()
        if held is not None:
            if held.broken:
                raise StorageError(
                    f"sql storage could not {action}"
                    + (f" for {key}" if key else "")
                    + f" at {self._where()}: the connection holding the lock was lost, "
                    "so the lock may be gone too",
                    backend=self.name,
                )
            try:
                with held.conn.begin():
                    yield held.conn, schema
            except SQLAlchemyError as exc:
                held.broken = True
                raise self._fail(action, exc, key, secrets) from None
            return
        try:
            with engine.connect() as conn:
                if write:
                    conn.execution_options(**{WRITE_OPTION: True})
                with conn.begin():
                    yield conn, schema
        except SQLAlchemyError as exc:
            raise self._fail(action, exc, key, secrets) from None

    def _checkout(self) -> Connection:
        """A pooled connection for a lock (pinged first, so a dropped one is replaced)."""
        from sqlalchemy.exc import SQLAlchemyError

        engine, _ = self._ready()
        try:
            return engine.connect()
        except SQLAlchemyError as exc:
            raise self._fail("connect to take a lock", exc) from None

    def close(self) -> None:
        """Close the pooled connections. The backend reconnects if used again."""
        with self._setup:
            dispose, self._dispose = self._dispose, None
            self._engine, self._schema = None, None
        if dispose is not None:
            dispose()

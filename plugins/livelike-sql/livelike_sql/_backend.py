"""The ``sql`` storage backend: access tokens in PostgreSQL or SQLite, through SQLAlchemy 2."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import threading
import weakref
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from livelike.errors import InvalidArgumentError, StorageError
from livelike.storage import LockScope, StorageBackend, StorageKey, TokenRecord, utcnow
from livelike_sql._config import URL_VARIABLE, check
from livelike_sql._locks import AdvisoryLock, FileLocks, LockConnections

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, Insert, Table

    from livelike_sql._engine import Target
    from livelike_sql._schema import Schema

__all__ = ["DEFAULT_LOCK_TIMEOUT", "DEFAULT_TABLE", "URL_VARIABLE", "SQLBackend"]

DEFAULT_TABLE = "livelike_tokens"
DEFAULT_LOCK_TIMEOUT = 60.0
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}\Z")


def _reason(exc: BaseException, secrets: Iterable[str]) -> str:
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
    reason = f"{type(source).__name__}: {lines[0]}" if lines else type(source).__name__
    for secret in secrets:
        if secret:
            reason = reason.replace(secret, "***")
    return reason


def _utc(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _tokens(record: TokenRecord) -> list[str]:
    return [record.access_token, *(item.access_token for item in record.history)]


class SQLBackend(StorageBackend):
    """Saves access tokens in a PostgreSQL or SQLite database, locking get-or-create
    across processes and hosts.

    Building it is cheap: SQLAlchemy is imported, the engine built and the
    tables created (or their schema version checked) at first use.

    Args:
        url: a SQLAlchemy database URL, e.g.
            ``postgresql+psycopg://user:password@db.internal/app`` or
            ``sqlite:////var/lib/app/tokens.sqlite3``. Default:
            ``$LIVELIKE_SQL_URL``, else SQLite at
            ``$LIVELIKE_HOME/tokens.sqlite3``. A plain ``postgresql://`` URL
            uses psycopg 3 (``pip install 'livelike-sql[postgresql]'``).
        table: name of the token table (lower-case letters, digits and ``_``,
            at most 40); ``<table>_forgotten`` and ``<table>_meta`` go beside it.
        lock_timeout: seconds :meth:`lock` waits for another holder.

    Raises:
        InvalidArgumentError: ``table`` or ``lock_timeout`` is malformed.

    Every method raises :class:`~livelike.errors.StorageError` when the
    database cannot answer (never "absent"); messages name the database with
    its password hidden and never contain a token.

    Example::

        backend = SQLBackend("postgresql+psycopg://app@db.internal/app")
        client = livelike.LiveLike(client_id, storage=[backend])
        client.init(subject="user-42")
    """

    name: ClassVar[str] = "sql"
    writable: ClassVar[bool] = True
    persistent: ClassVar[bool] = True
    priority: ClassVar[int] = 0

    def __init__(
        self,
        url: str | None = None,
        *,
        table: str = DEFAULT_TABLE,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        if not isinstance(table, str) or not _TABLE_NAME.match(table):
            raise InvalidArgumentError(
                f"table must be 1 to 40 lower-case letters, digits or '_' and not start with "
                f"a digit, not {table!r}"
            )
        if (
            isinstance(lock_timeout, bool)
            or not isinstance(lock_timeout, (int, float))
            or not math.isfinite(lock_timeout)
            or lock_timeout <= 0
        ):
            raise InvalidArgumentError(
                f"lock_timeout must be a positive number of seconds, not {lock_timeout!r}"
            )
        if url is not None and not isinstance(url, str):
            raise InvalidArgumentError(f"url must be a string, not {type(url).__name__}")
        self._url = url
        self.table = table
        self.lock_timeout = float(lock_timeout)
        self._setup = threading.Lock()
        self._target: Target | None = None
        self._engine: Engine | None = None
        self._schema: Schema | None = None
        self._dispose: weakref.finalize[[], SQLBackend] | None = None
        self._lock_connections = LockConnections()
        self._file_locks = FileLocks()

    # -- set-up -------------------------------------------------------------------

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
            f"sql storage could not {action}{what} at {self._where()}: {_reason(exc, hidden)}",
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

    # -- the backend contract -----------------------------------------------------

    def in_default_chain(self) -> bool:
        """Consulted without being chosen only when configured: a URL was given or
        ``LIVELIKE_SQL_URL`` is set. Otherwise installing the plugin costs the
        default chain nothing; choose it with ``storage="sql"`` to use the
        embedded SQLite default."""
        return self._url is not None or bool(os.environ.get(URL_VARIABLE))

    def probe(self) -> None:
        """Raise if this backend cannot work here: a bad or unsupported URL, or SQLAlchemy
        or the URL's driver is not installed.

        It is cheap (livelike probes every default backend at start-up): it
        imports neither SQLAlchemy nor the driver, and never connects. A
        database that is down makes lookups fail ("unavailable") rather than
        dropping this backend from the chain, which would read the tokens
        saved in it as absent.
        """
        check(self._url)

    def get(self, key: StorageKey) -> TokenRecord | None:
        """The record saved under ``key``, or None when the database surely has none.

        Raises:
            StorageError: the database could not answer, or the row is corrupt.
        """
        from sqlalchemy import select

        with self._transaction("look up the token", key, write=False) as (conn, schema):
            table = schema.tokens
            row = conn.execute(
                select(
                    table.c.api_origin, table.c.client_id, table.c.subject, table.c.record
                ).where(table.c.key_digest == key.digest)
            ).one_or_none()
        if row is None:
            return None
        if (row.api_origin, row.client_id, row.subject) != (
            key.api_origin,
            key.client_id,
            key.subject,
        ):
            raise StorageError(
                f"sql storage found a row for another key under the digest of {key} at "
                f"{self._where()}; it was left as it is",
                backend=self.name,
            )
        try:
            data = json.loads(row.record)
            if not isinstance(data, dict):
                raise ValueError("the record is not a JSON object")
            return TokenRecord.from_dict(data)
        except (ValueError, TypeError) as exc:
            raise StorageError(
                f"sql storage found a corrupt record for {key} at {self._where()}: "
                f"{_reason(exc, ())}. It was left as it is; repair it, or move it into "
                f"{self.table}_forgotten with delete() (`livelike token forget`)",
                backend=self.name,
            ) from None

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        """Save ``record`` under ``key`` (an upsert), committed before returning.

        Raises:
            StorageError: the database could not save it.
        """
        values: dict[str, Any] = {
            "key_digest": key.digest,
            "api_origin": key.api_origin,
            "client_id": key.client_id,
            "subject": key.subject,
            "profile_id": record.profile_id,
            "record": json.dumps(record.as_dict(), separators=(",", ":")),
            "saved_at": _utc(record.saved_at),
            "updated_at": utcnow(),
        }
        with self._transaction("save the token", key, write=True, secrets=_tokens(record)) as (
            conn,
            schema,
        ):
            conn.execute(_upsert(conn.dialect.name, schema.tokens, values))

    def delete(self, key: StorageKey) -> bool:
        """Move the key's row into ``<table>_forgotten`` (the token is kept, not erased).

        Returns:
            True if there was a row, False if not.

        Raises:
            StorageError: the database failed; nothing was moved.
        """
        from sqlalchemy import select

        with self._transaction("forget the token", key, write=True) as (conn, schema):
            table = schema.tokens
            query = select(table).where(table.c.key_digest == key.digest)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query).mappings().one_or_none()
            if row is not None:
                conn.execute(schema.forgotten.insert().values(**row, forgotten_at=utcnow()))
                conn.execute(table.delete().where(table.c.key_digest == key.digest))
        return row is not None

    def keys(self) -> Iterator[StorageKey]:
        """Every key with a saved token, sorted.

        Raises:
            StorageError: the database could not answer.
        """
        from sqlalchemy import select

        with self._transaction("list saved tokens", None, write=False) as (conn, schema):
            columns = (schema.tokens.c.api_origin, schema.tokens.c.client_id)
            rows = conn.execute(
                select(*columns, schema.tokens.c.subject).order_by(
                    *columns, schema.tokens.c.subject
                )
            ).all()
        return iter([StorageKey(row[0], row[1], row[2]) for row in rows])

    def lock(self, key: StorageKey) -> contextlib.AbstractContextManager[None]:
        """Exclude every other process and host from get-or-create for ``key``.

        PostgreSQL: a session advisory lock on a connection this thread keeps
        for the ``with`` block (its lookups and saves run on it); the server
        drops the lock if the connection or the process dies. SQLite: an OS
        file lock in ``<database>.locks/<table>/``, dropped by the kernel if
        the process dies. Reentrant in one thread; other keys are not blocked.

        Raises (on entering):
            StorageError: ``lock_timeout`` passed while another holder kept
                the lock, or the database failed.
        """
        target = self._resolve()
        if target.sqlite_path is not None:
            folder = target.sqlite_path.with_name(f"{target.sqlite_path.name}.locks")
            return self._file_locks.hold(
                folder / self.table / f"{key.digest}.lock",
                timeout=self.lock_timeout,
                what=str(key),
            )
        from livelike_sql._schema import advisory_key

        return AdvisoryLock(
            self._lock_connections,
            self._checkout,
            advisory_key("key", self.table, key.digest),
            timeout=self.lock_timeout,
            fail=lambda action, exc: self._fail(action, exc, key),
            what=str(key),
        )

    def describe(self) -> str:
        """The database (password hidden) and table, e.g.
        ``sql postgresql+psycopg://app:***@db/app (table livelike_tokens)``."""
        try:
            return f"sql {self._where()}"
        except Exception:
            return f"sql (no usable database URL; table {self.table})"

    def close(self) -> None:
        """Close the pooled connections. The backend reconnects if used again."""
        with self._setup:
            dispose, self._dispose = self._dispose, None
            self._engine, self._schema = None, None
        if dispose is not None:
            dispose()


def _upsert(dialect: str, table: Table, values: dict[str, Any]) -> Insert:
    """``INSERT ... ON CONFLICT (key_digest) DO UPDATE`` for PostgreSQL or SQLite."""
    updated = [name for name in values if name != "key_digest"]
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(table).values(values)
        return pg.on_conflict_do_update(
            index_elements=[table.c.key_digest], set_={name: pg.excluded[name] for name in updated}
        )
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(table).values(values)
    return lite.on_conflict_do_update(
        index_elements=[table.c.key_digest], set_={name: lite.excluded[name] for name in updated}
    )

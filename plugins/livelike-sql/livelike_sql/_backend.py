"""The ``sql`` storage backend: access tokens in PostgreSQL or SQLite, through SQLAlchemy 2."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, ClassVar

from livelike.errors import InvalidArgumentError, StorageError
from livelike.files import FileLock, positive_seconds
from livelike.storage import StorageBackend, StorageKey, TokenRecord, utcnow
from livelike_sql._config import URL_VARIABLE, check
from livelike_sql._locks import AdvisoryLock, LockConnections
from livelike_sql._plumbing import Plumbing, reason

__all__ = ["DEFAULT_LOCK_TIMEOUT", "DEFAULT_TABLE", "URL_VARIABLE", "SQLBackend"]

DEFAULT_TABLE = "livelike_tokens"
DEFAULT_LOCK_TIMEOUT = 60.0
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}\Z")


def _utc(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


class SQLBackend(Plumbing, StorageBackend):
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
        if not positive_seconds(lock_timeout):
            raise InvalidArgumentError(
                f"lock_timeout must be a positive number of seconds, not {lock_timeout!r}"
            )
        if url is not None and not isinstance(url, str):
            raise InvalidArgumentError(f"url must be a string, not {type(url).__name__}")
        self._url = url
        self.table = table
        self.lock_timeout = float(lock_timeout)
        self._setup = threading.Lock()
        self._target = None
        self._engine = None
        self._schema = None
        self._dispose = None
        self._lock_connections = LockConnections()

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
                f"{reason(exc, ())}. It was left as it is; repair it, or move it into "
                f"{self.table}_forgotten with delete() (`livelike token forget`)",
                backend=self.name,
            ) from None

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        """Save ``record`` under ``key`` (an upsert), committed before returning.

        Raises:
            StorageError: the database could not save it.
        """
        from livelike_sql._schema import upsert

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
        with self._transaction("save the token", key, write=True, secrets=record.tokens()) as (
            conn,
            schema,
        ):
            conn.execute(upsert(conn.dialect.name, schema.tokens, values))

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
            return FileLock(
                folder / self.table / f"{key.digest}.lock",
                timeout=self.lock_timeout,
                backend="sql",
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

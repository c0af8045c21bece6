"""The database behind the ``sql`` backend: which URL, and the engine built for it.

This module imports SQLAlchemy; :mod:`livelike_sql` imports it only at first use.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from livelike.errors import StorageError
from livelike.files import default_home, private_dir
from livelike_sql._config import NAME, configured, not_a_file, unparseable, unsupported

DEFAULT_FILE = "tokens.sqlite3"
DIALECTS = ("postgresql", "sqlite")
POOL_SIZE = 5
MAX_OVERFLOW = 27  # up to 32 connections: one per thread of a 32-thread service
CONNECT_TIMEOUT = 10
"""Seconds PostgreSQL connection attempts wait, unless the URL sets ``connect_timeout``."""
APPLICATION_NAME = "livelike-sql"
_SENSITIVE_QUERY = ("pass", "secret", "token", "key")
LOGGING_NAME = "livelike_sql"
"""The engine's logger is ``sqlalchemy.engine.Engine.livelike_sql``: rows it logs are hidden."""
WRITE_OPTION = "livelike_write"
"""Execution option: on SQLite, begin the transaction with ``BEGIN IMMEDIATE``."""


@dataclass(frozen=True)
class Target:
    """A resolved database URL and what follows from it.

    Attributes:
        url: the SQLAlchemy URL (it may hold a password: never print it as is).
        origin: where the URL came from, for messages.
        sqlite_path: the database file, for SQLite.
        default: whether this is the embedded default (SQLite in LIVELIKE_HOME).
    """

    url: URL = field(repr=False)
    origin: str
    sqlite_path: Path | None
    default: bool

    @property
    def dialect(self) -> str:
        """``postgresql`` or ``sqlite``."""
        return self.url.get_backend_name()

    def masked(self) -> str:
        """The URL with its password (and secret-looking query values) replaced by ``***``."""
        return masked(self.url)

    def secrets(self) -> list[str]:
        """Strings of the URL that must never appear in a message."""
        found = [self.url.password] if self.url.password else []
        for name, value in self.url.query.items():
            if _sensitive(name):
                found.extend([value] if isinstance(value, str) else list(value))
        return [str(s) for s in found if s]


def _sensitive(query_name: str) -> bool:
    return any(word in query_name.lower() for word in _SENSITIVE_QUERY)


def masked(url: URL) -> str:
    """``url`` as text without its password or secret-looking query values."""
    query = {name: ("***" if _sensitive(name) else value) for name, value in url.query.items()}
    return url.set(query=query).render_as_string(hide_password=True)


def resolve(url: str | None) -> Target:
    """The database to use: ``url``, else ``$LIVELIKE_SQL_URL``, else SQLite in LIVELIKE_HOME.

    A plain ``postgresql://`` (or ``postgres://``) URL gets the psycopg (3)
    driver, which the ``postgresql`` extra installs.

    Raises:
        StorageError: the URL cannot be parsed, names another database, or
            names an in-memory SQLite database (it would forget every token).
    """
    source = configured(url)
    if source is None:
        home_file = default_home() / DEFAULT_FILE
        parsed = URL.create("sqlite", database=str(home_file))
        return Target(parsed, "the default", home_file, default=True)
    text, origin = source
    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError):
        # The parse error's message repeats the URL, password included.
        raise unparseable(origin) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    dialect = parsed.get_backend_name()
    if dialect not in DIALECTS:
        raise unsupported(dialect, origin)
    path: Path | None = None
    if dialect == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:") or "mode" in parsed.query:
            raise not_a_file(masked(parsed), origin)
        path = Path(database).expanduser().absolute()
        parsed = parsed.set(database=str(path))
    return Target(parsed, origin, path, default=False)


def prepare_sqlite_file(target: Target) -> None:
    """Create the SQLite file (mode 0600) if it is missing; its folder too for the default.

    Raises:
        StorageError: the folder or the file cannot be created.
    """
    path = target.sqlite_path
    if path is None:
        return
    try:
        if target.default:
            private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StorageError(
            f"sql storage could not create the SQLite database {path}: "
            f"{exc.strerror or exc} (from {target.origin})",
            backend=NAME,
        ) from None
    os.close(fd)


def build(target: Target, *, lock_timeout: float) -> Engine:
    """A pooled engine for ``target`` (no connection is made yet).

    Pool: 5 connections kept, 27 more when busy (a get-or-create holds one
    for its lock during the create call, so a 32-thread service needs 32),
    each checked with a ping at checkout (``pool_pre_ping``) so connections
    the server dropped are replaced rather than failing the next call. Statement parameters, which
    hold tokens, are kept out of SQLAlchemy's error messages and log lines, and so are
    result rows when ``sqlalchemy.engine`` logs at DEBUG (see :class:`HiddenRows`).
    """
    _hide_rows()
    options: dict[str, Any] = {
        "pool_size": POOL_SIZE,
        "max_overflow": MAX_OVERFLOW,
        "pool_pre_ping": True,
        "hide_parameters": True,
        "logging_name": LOGGING_NAME,
    }
    if target.dialect == "sqlite":
        prepare_sqlite_file(target)
        connect_args: dict[str, Any] = {"check_same_thread": False}
        if "timeout" not in target.url.query:
            connect_args["timeout"] = lock_timeout  # the busy timeout, in seconds
        options["connect_args"] = connect_args
        engine = create_engine(target.url, **options)
        _sqlite_transactions(engine, lock_timeout)
        return engine
    connect_args = {}
    if "connect_timeout" not in target.url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    if "application_name" not in target.url.query:
        connect_args["application_name"] = APPLICATION_NAME
    options["connect_args"] = connect_args
    return create_engine(target.url, **options)


class HiddenRows(logging.Filter):
    """Replaces the rows SQLAlchemy logs at DEBUG (they hold token records) with a note."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the line, without the row."""
        if isinstance(record.msg, str) and record.msg.startswith("Row "):
            record.msg = "Row [hidden by livelike-sql: it may hold an access token]"
            record.args = ()
        return True


def _hide_rows() -> None:
    """Put :class:`HiddenRows` on this plugin's engine logger, once."""
    engine_logger = logging.getLogger(f"sqlalchemy.engine.Engine.{LOGGING_NAME}")
    if not any(isinstance(f, HiddenRows) for f in engine_logger.filters):
        engine_logger.addFilter(HiddenRows())


def _switch_to_wal(cursor: Any, *, deadline: float) -> None:
    """``PRAGMA journal_mode=WAL``, waiting while other processes hold the database.

    The first switch of a new database file needs it to itself, and SQLite
    answers "database is locked" at once rather than through the busy
    timeout when several processes open a fresh file together; once the file
    is in WAL mode (it stays so), the pragma is a no-op.
    """
    import sqlite3

    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.fetchall()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _sqlite_transactions(engine: Engine, busy_seconds: float) -> None:
    """WAL, full fsync and real transactions on every SQLite connection.

    sqlite3's own transaction handling (no BEGIN before SELECT or DDL) is
    turned off; SQLAlchemy emits ``BEGIN``, or ``BEGIN IMMEDIATE`` for writes
    so a writer takes the write lock first and never fails to upgrade a read.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            _switch_to_wal(cursor, deadline=time.monotonic() + busy_seconds)
            cursor.execute("PRAGMA synchronous=FULL")
        finally:
            with contextlib.suppress(Exception):
                cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

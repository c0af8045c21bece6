"""The tables of the ``sql`` backend and the check of their schema version.

Three tables, named after the configured table (``livelike_tokens`` by default):

- ``<table>``: one row per saved token, primary key ``key_digest`` (the
  key's SHA-256, :attr:`livelike.storage.StorageKey.digest`), with the key's
  ``api_origin``, ``client_id`` and ``subject``, the ``profile_id``, the
  ``record`` (JSON text of :meth:`TokenRecord.as_dict`), ``saved_at`` and
  ``updated_at``;
- ``<table>_forgotten``: rows moved aside by ``delete``, with ``forgotten_at``;
- ``<table>_meta``: ``name``/``value`` pairs; ``schema_version`` is 1.

This module imports SQLAlchemy; :mod:`livelike_sql` imports it only at first use.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Insert

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
)

from livelike.errors import StorageError

SCHEMA_VERSION = 1
"""The schema this code writes and reads."""
VERSION_ROW = "schema_version"


def advisory_key(*parts: str) -> int:
    """A signed 64-bit number for ``pg_advisory_lock``, from ``parts`` (stable across hosts)."""
    raw = "\x00".join(("livelike-sql", *parts)).encode("utf-8")
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big", signed=True)


def _record_columns() -> list[Column[Any]]:
    """The columns a saved record has, in the tokens table and in the forgotten one."""
    return [
        Column("api_origin", Text, nullable=False),
        Column("client_id", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("profile_id", Text, nullable=True),
        Column("record", Text, nullable=False),
        Column("saved_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


class Schema:
    """The three tables for one configured table name."""

    def __init__(self, table: str) -> None:
        self.name = table
        self.metadata = MetaData()
        self.tokens = Table(
            table,
            self.metadata,
            Column("key_digest", String(64), primary_key=True),
            *_record_columns(),
        )
        self.forgotten = Table(
            f"{table}_forgotten",
            self.metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("key_digest", String(64), nullable=False),
            *_record_columns(),
            Column("forgotten_at", DateTime(timezone=True), nullable=False),
        )
        self.meta = Table(
            f"{table}_meta",
            self.metadata,
            Column("name", String(64), primary_key=True),
            Column("value", Integer, nullable=False),
        )

    def ensure(self, conn: Connection, where: str) -> None:
        """Create the tables in a fresh database, or check the version of existing ones.

        Call it inside a write transaction. On PostgreSQL it first takes a
        transaction-level advisory lock, so processes starting together
        create the tables once (on SQLite, ``BEGIN IMMEDIATE`` does that).

        Raises:
            StorageError: the database was written by a newer livelike-sql, or
                has a version row but misses tables.
            sqlalchemy.exc.SQLAlchemyError: the database failed.
        """
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(advisory_key("schema", self.name))))
        self.meta.create(conn, checkfirst=True)
        version = conn.execute(
            select(self.meta.c.value).where(self.meta.c.name == VERSION_ROW)
        ).scalar_one_or_none()
        if version is None:
            self.tokens.create(conn, checkfirst=True)
            self.forgotten.create(conn, checkfirst=True)
            conn.execute(self.meta.insert().values(name=VERSION_ROW, value=SCHEMA_VERSION))
            return
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"sql storage at {where}: the tables were written by a newer livelike-sql "
                f"(schema version {version}; this one knows up to {SCHEMA_VERSION}). Upgrade "
                "livelike-sql (pip install -U livelike-sql); nothing was read or changed",
                backend="sql",
            )
        if version < 1:
            raise StorageError(
                f"sql storage at {where}: {self.meta.name} holds an unknown schema version "
                f"{version}; nothing was read or changed",
                backend="sql",
            )
        inspector = inspect(conn)
        missing = [t.name for t in (self.tokens, self.forgotten) if not inspector.has_table(t.name)]
        if missing:
            raise StorageError(
                f"sql storage at {where}: {self.meta.name} says schema version {version} but "
                f"table {', '.join(missing)} is missing; it was not recreated, because an "
                "empty table would read as 'no saved token' and create profiles again",
                backend="sql",
            )


def upsert(dialect: str, table: Table, values: dict[str, Any]) -> Insert:
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

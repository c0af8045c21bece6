"""Unavailable, never absent: a database that fails raises StorageError, names no secret,
and livelike creates no profile."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import test_sql_support as support
from test_sql_support import MakeBackend

import livelike
from livelike.errors import StorageError
from livelike.storage import StorageKey, TokenRecord

KEY = StorageKey("https://failures.example", "failure-client", "default")
PASSWORD = "hunter2-db-password"
TOKEN = "very-secret-access-token"


def unreachable_pg() -> str:
    port = support.closed_port()
    return f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{port}/test?connect_timeout=2"


def test_unreachable_postgres_is_unavailable(make_backend: MakeBackend) -> None:
    backend = make_backend(unreachable_pg())
    for call in (
        lambda: backend.get(KEY),
        lambda: backend.put(KEY, TokenRecord(TOKEN)),
        lambda: backend.delete(KEY),
        lambda: list(backend.keys()),
        lambda: backend.lock(KEY).__enter__(),
    ):
        with pytest.raises(StorageError) as caught:
            call()
        message = str(caught.value)
        assert caught.value.backend == "sql"
        assert "127.0.0.1" in message
        assert "refused" in message.lower() or "connect" in message.lower()
        assert PASSWORD not in message
        assert TOKEN not in message
    assert PASSWORD not in repr(backend)
    assert PASSWORD not in backend.describe()
    assert "***" in backend.describe()


@pytest.mark.parametrize("where", ["postgresql", "sqlite"])
def test_init_with_an_unusable_database_creates_nothing(
    where: str, tmp_path: Path, livelike_emulator: Any, make_backend: MakeBackend
) -> None:
    url = unreachable_pg() if where == "postgresql" else f"sqlite:///{tmp_path}/missing/t.sqlite3"
    client = livelike.LiveLike(
        "sql-down", api_url=livelike_emulator.url, storage=[make_backend(url)]
    )
    with pytest.raises(StorageError) as caught:
        client.init()
    assert caught.value.backend == "sql"
    assert PASSWORD not in str(caught.value)
    assert livelike_emulator.stats()["profiles_created_total"] == 0


def test_terminated_connections_are_replaced_not_read_as_absent(
    pg_url: str, pg_table: str, make_backend: MakeBackend
) -> None:
    url = support.with_query(pg_url, application_name=pg_table)
    backend = make_backend(url, table=pg_table)
    backend.put(KEY, TokenRecord(TOKEN, "profile-1"))
    assert support.terminate(pg_url, pg_table) >= 1
    try:
        found = backend.get(KEY)  # the pool pings, drops the dead connection, reconnects
    except StorageError:
        found = None
        pytest.fail("a terminated idle connection should be replaced by pre-ping")
    assert found is not None
    assert found.access_token == TOKEN


def test_connection_lost_inside_the_lock_fails_instead_of_reconnecting(
    pg_url: str, pg_table: str, make_backend: MakeBackend
) -> None:
    url = support.with_query(pg_url, application_name=pg_table)
    backend = make_backend(url, table=pg_table)
    backend.get(KEY)
    with backend.lock(KEY):
        assert support.terminate(pg_url, pg_table) == 1  # the lock's connection
        with pytest.raises(StorageError) as caught:
            backend.put(KEY, TokenRecord(TOKEN))
        assert TOKEN not in str(caught.value)
        with pytest.raises(StorageError, match="lost"):
            backend.get(KEY)  # never on a new session without the lock
    with backend.lock(KEY):  # the next lock gets a fresh connection
        assert backend.get(KEY) is None
        backend.put(KEY, TokenRecord(TOKEN))
    assert backend.get(KEY) is not None


def test_locked_sqlite_database_fails_writes_and_still_reads(
    sqlite_url: str, make_backend: MakeBackend
) -> None:
    backend = make_backend(sqlite_url, lock_timeout=0.3)
    backend.put(KEY, TokenRecord(TOKEN))
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError, match="locked") as caught:
            backend.put(KEY, TokenRecord("another-token"))
        assert "another-token" not in str(caught.value)
        found = backend.get(KEY)  # WAL: readers are not blocked by a writer
        assert found is not None
        assert found.access_token == TOKEN
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_corrupt_record_is_unavailable(
    database: tuple[str, str], make_backend: MakeBackend
) -> None:
    url, table = database
    backend = make_backend(url, table=table)
    backend.put(KEY, TokenRecord(TOKEN))
    engine = support.admin(url)
    with engine.begin() as conn:
        conn.execute(sa.update(sa.table(table, sa.column("record"))).values(record="{not json"))
    engine.dispose()
    with pytest.raises(StorageError, match="corrupt"):
        backend.get(KEY)


def test_newer_schema_version_is_refused(
    database: tuple[str, str], make_backend: MakeBackend
) -> None:
    url, table = database
    make_backend(url, table=table).get(KEY)  # creates the tables, version 1
    engine = support.admin(url)
    with engine.begin() as conn:
        conn.execute(sa.update(sa.table(f"{table}_meta", sa.column("value"))).values(value=99))
    engine.dispose()
    backend = make_backend(url, table=table)
    calls: list[Callable[[], object]] = [
        lambda: backend.get(KEY),
        lambda: backend.put(KEY, TokenRecord(TOKEN)),
    ]
    for call in calls:
        with pytest.raises(StorageError, match=r"schema version 99.*[Uu]pgrade livelike-sql"):
            call()


def test_newer_schema_creates_nothing(database: tuple[str, str], make_backend: MakeBackend) -> None:
    url, table = database
    engine = support.admin(url)
    with engine.begin() as conn:
        meta = sa.Table(
            f"{table}_meta",
            sa.MetaData(),
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("value", sa.Integer, nullable=False),
        )
        meta.create(conn)
        conn.execute(meta.insert().values(name="schema_version", value=99))
    with pytest.raises(StorageError, match="newer livelike-sql"):
        make_backend(url, table=table).get(KEY)
    assert not sa.inspect(engine).has_table(table)
    engine.dispose()


def test_missing_token_table_is_not_recreated(
    database: tuple[str, str], make_backend: MakeBackend
) -> None:
    url, table = database
    make_backend(url, table=table).put(KEY, TokenRecord(TOKEN))
    engine = support.admin(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE "{table}"'))
    with pytest.raises(StorageError, match="missing"):
        make_backend(url, table=table).get(KEY)
    assert not sa.inspect(engine).has_table(table)
    engine.dispose()


def test_failed_save_names_no_token(pg_url: str, pg_table: str, make_backend: MakeBackend) -> None:
    # PostgreSQL quotes the failing row (with the token) in the error's DETAIL.
    backend = make_backend(pg_url, table=pg_table)
    backend.get(KEY)
    engine = support.admin(pg_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(f'ALTER TABLE "{pg_table}" ADD CONSTRAINT tiny CHECK (length(record) < 5)')
        )
    engine.dispose()
    record = TokenRecord("old-token-in-history").replaced_by(TOKEN, "p", "rejected")
    with pytest.raises(StorageError) as caught:
        backend.put(KEY, record)
    message = str(caught.value)
    assert "tiny" in message  # the reason is there
    assert TOKEN not in message
    assert "old-token-in-history" not in message
    assert caught.value.__cause__ is None


def test_unparseable_url_names_no_password(make_backend: MakeBackend) -> None:
    backend = make_backend(f"postgresql://user:{PASSWORD}@host:notaport/db")
    with pytest.raises(StorageError) as caught:
        backend.get(KEY)
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in backend.describe()
    assert PASSWORD not in repr(backend)

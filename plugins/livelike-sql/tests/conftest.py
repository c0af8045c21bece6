"""Each test runs with its own LIVELIKE_HOME and no LIVELIKE_* settings.

PostgreSQL tests use ``$LIVELIKE_TEST_PG_URL`` (default: user postgres,
database test on 127.0.0.1:5432), each with its own tables, dropped after the
test; they are skipped when no server answers. The ``livelike_emulator``
fixture comes from livelike's pytest plugin.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import test_sql_support as support
from livelike_sql import SQLBackend

from livelike.emulator import Emulator


@pytest.fixture(autouse=True)
def isolated(livelike_isolated: Path) -> Path:
    """A fresh LIVELIKE_HOME, no LIVELIKE_* variable from outside, plugins loaded afresh
    (livelike's ``livelike_isolated`` fixture)."""
    return livelike_isolated


def skip_or_fail(reason: str) -> NoReturn:
    """Skip a PostgreSQL test where no server answers; in CI (``CI`` set), fail instead,
    because CI provides PostgreSQL and a skip there would hide the missing tests."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the PostgreSQL tests")
    pytest.skip(reason)


@pytest.fixture
def pg_url() -> str:
    """The PostgreSQL URL, or the test is skipped because no server answers."""
    reason = support.pg_unreachable()
    if reason is not None:
        skip_or_fail(reason)
    return support.PG_URL


@pytest.fixture
def pg_table(pg_url: str) -> Iterator[str]:
    """A table name of this test's own; its tables are dropped afterwards."""
    table = support.unique_table()
    yield table
    support.drop_tables(pg_url, table)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An SQLite database file of this test's own."""
    return f"sqlite:///{tmp_path / 'tokens.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(url, table) for each database: SQLite in tmp_path, then PostgreSQL (or skipped)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tokens.sqlite3'}", "livelike_tokens"
        return
    reason = support.pg_unreachable()
    if reason is not None:
        skip_or_fail(reason)
    table = support.unique_table()
    yield support.PG_URL, table
    support.drop_tables(support.PG_URL, table)


@pytest.fixture
def make_backend() -> Iterator[support.MakeBackend]:
    """``SQLBackend(...)`` whose pooled connections are closed after the test."""
    made: list[SQLBackend] = []

    def make(*args: Any, **kwargs: Any) -> SQLBackend:
        backend = SQLBackend(*args, **kwargs)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def livelike_emulator(livelike_emulator: Emulator) -> Emulator:
    """livelike's emulator fixture, serving the client ids these tests use."""
    livelike_emulator.add_client("sql-sdk", "sql-scale", "sql-down", "sql-billing", "fault-matrix")
    return livelike_emulator

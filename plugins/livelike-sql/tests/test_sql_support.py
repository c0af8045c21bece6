"""Helpers for the livelike-sql tests, and the factory other processes import.

This module holds no tests. Other processes import it with this folder on
``PYTHONPATH`` (see :func:`subprocess_env`) and build the backend from the
environment with :func:`backend_from_env`.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from livelike_sql import DEFAULT_TABLE, URL_VARIABLE, SQLBackend

TESTS_DIR = Path(__file__).resolve().parent
PG_URL_VARIABLE = "LIVELIKE_TEST_PG_URL"
PG_URL = os.environ.get(PG_URL_VARIABLE) or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""Read once at import, before the tests clear every LIVELIKE_* variable."""
TABLE_VARIABLE = "LIVELIKE_SQL_TEST_TABLE"
MakeBackend = Callable[..., SQLBackend]
"""The type of the ``make_backend`` fixture."""


def backend_from_env() -> SQLBackend:
    """The backend for ``$LIVELIKE_SQL_URL`` and ``$LIVELIKE_SQL_TEST_TABLE``."""
    return SQLBackend(table=os.environ.get(TABLE_VARIABLE, DEFAULT_TABLE))


def subprocess_env(url: str, table: str) -> dict[str, str]:
    """Environment for a process that imports this module and uses ``url`` and ``table``."""
    path = os.pathsep.join(p for p in (str(TESTS_DIR), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, URL_VARIABLE: url, TABLE_VARIABLE: table}


def unique_table() -> str:
    """A table name no other test run uses."""
    return f"lt_{secrets.token_hex(6)}"


def with_query(url: str, **query: str) -> str:
    """``url`` with query parameters added."""
    return sa.make_url(url).update_query_dict(query).render_as_string(hide_password=False)


@functools.cache
def pg_unreachable() -> str | None:
    """Why PostgreSQL at :data:`PG_URL` cannot be used, or None when it answers."""
    engine = sa.create_engine(with_query(PG_URL, connect_timeout="2"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        return (
            f"no PostgreSQL reachable at {sa.make_url(PG_URL).render_as_string()} "
            f"(set {PG_URL_VARIABLE}): {first}"
        )
    finally:
        engine.dispose()
    return None


def admin(url: str) -> sa.Engine:
    """An engine beside the backend's, for the test's own statements."""
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def drop_tables(url: str, table: str) -> None:
    """Drop the three tables of ``table``, if they exist."""
    engine = admin(url)
    try:
        with engine.begin() as conn:
            for name in (table, f"{table}_forgotten", f"{table}_meta"):
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


def terminate(url: str, application_name: str) -> int:
    """End every PostgreSQL connection with ``application_name``; how many were ended."""
    engine = admin(url)
    try:
        with engine.begin() as conn:
            ended = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": application_name},
            ).scalar_one()
    finally:
        engine.dispose()
    return int(ended)


def closed_port() -> int:
    """A loopback TCP port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port

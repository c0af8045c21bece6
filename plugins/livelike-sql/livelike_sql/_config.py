"""Where the database URL comes from, and the checks that need no SQLAlchemy.

``probe()`` runs in every process that builds livelike's default chain, so it
uses only this module: no SQLAlchemy import, no connection.
"""

from __future__ import annotations

import importlib.util
import os
import re

from livelike.errors import StorageError

NAME = "sql"
URL_VARIABLE = "LIVELIKE_SQL_URL"
"""The environment variable holding the database URL when none is given."""

_SCHEME = re.compile(r"(?P<dialect>[A-Za-z0-9]+)(?:\+(?P<driver>[A-Za-z0-9_]+))?://(?P<rest>.*)\Z")
_DIALECTS = {"postgresql": "postgresql", "postgres": "postgresql", "sqlite": "sqlite"}
_DRIVER_MODULES = {
    ("postgresql", None): "psycopg",
    ("postgresql", "psycopg"): "psycopg",
    ("postgresql", "psycopg2"): "psycopg2",
    ("postgresql", "pg8000"): "pg8000",
    ("sqlite", None): "sqlite3",
    ("sqlite", "pysqlite"): "sqlite3",
}


def configured(url: str | None) -> tuple[str, str] | None:
    """(URL, where it came from): ``url``, else ``$LIVELIKE_SQL_URL``; None for the default."""
    if url is not None:
        return url, "the url given to SQLBackend"
    text = os.environ.get(URL_VARIABLE, "").strip()
    if text:
        return text, f"${URL_VARIABLE}"
    return None


def unparseable(origin: str) -> StorageError:
    """The error for a URL that cannot be parsed (the URL itself may hold a password)."""
    return StorageError(
        f"sql storage could not parse the database URL in {origin}; expected e.g. "
        "postgresql://user@host/dbname or sqlite:////path/to/tokens.sqlite3",
        backend=NAME,
    )


def unsupported(dialect: str, origin: str) -> StorageError:
    """The error for a database other than PostgreSQL and SQLite."""
    return StorageError(
        f"sql storage supports PostgreSQL and SQLite, not {dialect!r} (from {origin})",
        backend=NAME,
    )


def not_a_file(shown: str, origin: str) -> StorageError:
    """The error for an in-memory or URI SQLite database."""
    return StorageError(
        f"sql storage needs an SQLite database file (sqlite:////path/to/file), not {shown} "
        f"(from {origin}): an in-memory or URI database would forget every token, and "
        "each forgotten token is a profile billed again",
        backend=NAME,
    )


def check(url: str | None) -> None:
    """Raise what can be known without SQLAlchemy or a connection: a URL that is not
    one, another database, an in-memory SQLite database, a driver (or SQLAlchemy)
    that is not installed.

    Raises:
        StorageError: with the reason.
    """
    missing = []
    if importlib.util.find_spec("sqlalchemy") is None:
        missing.append("SQLAlchemy")
    source = configured(url)
    if source is not None:
        text, origin = source
        match = _SCHEME.match(text)
        if match is None:
            raise unparseable(origin)
        dialect = _DIALECTS.get(match["dialect"].lower())
        if dialect is None:
            raise unsupported(match["dialect"].lower(), origin)
        rest = match["rest"].split("?", 1)[0]
        if dialect == "sqlite" and (rest in ("", "/:memory:") or rest.startswith("/file:")):
            raise not_a_file(f"{match['dialect']}://{rest}", origin)
        module = _DRIVER_MODULES.get((dialect, match["driver"]))
        if module is not None and importlib.util.find_spec(module) is None:
            missing.append(f"the database driver {module!r}")
            if module == "psycopg":
                missing[-1] += " (pip install 'livelike-sql[postgresql]')"
    if missing:
        raise StorageError(
            f"sql storage needs {' and '.join(missing)}, not installed here", backend=NAME
        )

"""livelike-sql: save LiveLike access tokens in PostgreSQL or SQLite.

Installing this distribution registers the ``sql`` storage backend with
livelike (entry point ``sql`` in the ``livelike`` group): livelike consults
it after its built-in backends. A service shares one database between its
processes and hosts by choosing it explicitly::

    import livelike
    from livelike_sql import SQLBackend

    backend = SQLBackend("postgresql+psycopg://app@db.internal/app")
    client = livelike.LiveLike(client_id, storage=[backend])
    client.init(subject="user-42")  # one profile per subject, across every host

or through the environment: ``LIVELIKE_SQL_URL=postgresql://... LIVELIKE_STORAGE=sql``.

Importing this module or building the backend touches no database and does
not import SQLAlchemy; both happen at first use.
"""

from __future__ import annotations

from collections.abc import Callable

import livelike
from livelike.storage import StorageBackend
from livelike_sql._backend import DEFAULT_LOCK_TIMEOUT, DEFAULT_TABLE, URL_VARIABLE, SQLBackend

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_TABLE",
    "URL_VARIABLE",
    "SQLBackend",
    "__version__",
    "livelike_register_storage",
]

__version__ = "0.1.0"


@livelike.hookimpl
def livelike_register_storage(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``sql`` backend, configured by ``$LIVELIKE_SQL_URL`` (default: SQLite)."""
    register(SQLBackend())

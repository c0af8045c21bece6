"""The sql backend passes livelike's backend contract on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import test_sql_support as support
from livelike_sql import SQLBackend
from sqlalchemy.engine import make_url

from livelike.storage import StorageBackend
from livelike.testing import BackendContract


class _SQLContract(BackendContract):
    """The contract over one database; subclasses set ``url`` and ``table``."""

    factory: ClassVar[str | None] = "test_sql_support:backend_from_env"
    url: str
    table: str
    made: list[SQLBackend]

    def make_backend(self) -> StorageBackend:
        backend = SQLBackend(self.url, table=self.table)
        self.made.append(backend)
        return backend

    def make_backend_again(self) -> StorageBackend:
        return self.make_backend()

    def close_backend(self, backend: StorageBackend) -> None:
        assert isinstance(backend, SQLBackend)
        backend.close()

    def subprocess_env(self) -> dict[str, str]:
        return support.subprocess_env(self.url, self.table)

    def close_all(self) -> None:
        for backend in self.made:
            backend.close()


class TestSQLiteBackend(_SQLContract):
    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> Iterator[None]:
        self.url = f"sqlite:///{tmp_path / 'contract.sqlite3'}"
        self.broken = tmp_path / "broken.sqlite3"
        self.table = "livelike_tokens"
        self.made = []
        yield
        self.close_all()

    def make_unreachable_backend(self) -> StorageBackend:
        # SQLite opens its file in C, out of reach of the suite's injected faults.
        self.broken.write_bytes(b"this is not a SQLite database" * 100)
        backend = SQLBackend(f"sqlite:///{self.broken}", table=self.table)
        self.made.append(backend)
        return backend


class TestPostgresBackend(_SQLContract):
    @pytest.fixture(autouse=True)
    def _database(self, pg_url: str, pg_table: str) -> Iterator[None]:
        self.url = pg_url
        self.table = pg_table
        self.made = []
        yield
        self.close_all()

    def make_unreachable_backend(self) -> StorageBackend:
        # libpq connects in C, out of reach of the suite's injected faults: a closed port.
        url = make_url(self.url).set(host="127.0.0.1", port=support.closed_port())
        backend = SQLBackend(url.render_as_string(hide_password=False), table=self.table)
        self.made.append(backend)
        return backend

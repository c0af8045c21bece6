"""With ``sqlalchemy.engine`` logging at DEBUG, no token reaches a log line."""

from __future__ import annotations

import logging
import secrets

import pytest
import test_sql_support as support

from livelike.storage import StorageKey, TokenRecord, utcnow

KEY = StorageKey("https://sql.example", "sql-client", "default")


def test_debug_logs_show_statements_and_no_token(
    database: tuple[str, str], make_backend: support.MakeBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    url, table = database
    old, new = (f"tok-{secrets.token_urlsafe(24)}" for _ in range(2))
    record = TokenRecord(old, "p0").replaced_by(new, "p1", "replaced")
    backend = make_backend(url, table=table)
    backend.put(KEY, record.with_snapshot({"id": "p1"}, utcnow()))
    saved = backend.get(KEY)
    assert saved is not None
    assert saved.access_token == new
    assert list(backend.keys()) == [KEY]
    logged = caplog.text
    assert old not in logged
    assert new not in logged
    assert "SELECT" in logged  # statements are logged...
    assert "Row [hidden by livelike-sql" in logged  # ...and rows, without their values

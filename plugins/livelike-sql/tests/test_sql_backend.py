"""Configuration, laziness, the table layout and registration of the sql backend."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import test_sql_support as support
from livelike_sql import SQLBackend
from test_sql_support import MakeBackend

import livelike
from livelike import _plugins
from livelike.errors import InvalidArgumentError, StorageError
from livelike.storage import StorageKey, TokenRecord

KEY = StorageKey("https://backend.example", "backend-client", "default")


def test_importing_building_and_probing_touch_nothing(home: Path) -> None:
    code = (
        "import sys, livelike_sql\n"
        "livelike_sql.SQLBackend().probe()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
    assert not home.exists()


@pytest.fixture
def home(isolated: Path) -> Path:
    """The test's LIVELIKE_HOME (it may not exist yet)."""
    return isolated


def test_default_is_sqlite_in_livelike_home(home: Path, make_backend: MakeBackend) -> None:
    backend = make_backend()
    assert str(home / "tokens.sqlite3") in backend.describe()
    backend.put(KEY, TokenRecord("token-default"))
    database = home / "tokens.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    again = make_backend().get(KEY)
    assert again is not None
    assert again.access_token == "token-default"


def test_url_comes_from_the_environment(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_backend: MakeBackend
) -> None:
    database = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("LIVELIKE_SQL_URL", f"sqlite:///{database}")
    backend = make_backend()
    backend.put(KEY, TokenRecord("token-env"))
    assert database.exists()
    assert not (home / "tokens.sqlite3").exists()
    assert str(database) in backend.describe()


def test_plain_postgresql_url_uses_psycopg() -> None:
    for url in ("postgresql://app@db.internal/app", "postgres://app@db.internal/app"):
        assert SQLBackend(url).describe().startswith("sql postgresql+psycopg://app@db.internal")


@pytest.mark.parametrize("table", ["", "1abc", "Tokens", "a-b", "x" * 41, "t; drop", "t.x"])
def test_malformed_table_names_are_rejected(table: str) -> None:
    with pytest.raises(InvalidArgumentError, match="table"):
        SQLBackend(table=table)


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf, "5", True])
def test_malformed_lock_timeouts_are_rejected(timeout: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="lock_timeout"):
        SQLBackend(lock_timeout=timeout)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://app@db.internal/app", "supports PostgreSQL and SQLite"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
    ],
)
def test_other_databases_are_refused(url: str, reason: str) -> None:
    backend = SQLBackend(url)
    with pytest.raises(StorageError, match=reason):
        backend.probe()
    with pytest.raises(StorageError, match=reason):
        backend.get(KEY)


def test_probe_never_connects() -> None:
    port = support.closed_port()
    backend = SQLBackend(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test")
    started = time.monotonic()
    backend.probe()  # a database that is down is "unavailable", not "not viable"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("driver", ["psycopg2", "pg8000"])
def test_probe_names_a_missing_driver(driver: str) -> None:
    if importlib.util.find_spec(driver) is not None:
        pytest.skip(f"{driver} is installed here")
    with pytest.raises(StorageError, match=f"driver '{driver}'"):
        SQLBackend(f"postgresql+{driver}://app@db.internal/app").probe()


def test_probe_accepts_the_default_and_postgresql() -> None:
    SQLBackend().probe()
    SQLBackend("postgresql://app@db.internal/app").probe()
    SQLBackend("sqlite:///relative.sqlite3").probe()


def test_sensitive_query_values_are_hidden() -> None:
    backend = SQLBackend("postgresql://app:pw-one@db/app?sslpassword=pw-two&sslmode=require")
    described = backend.describe()
    assert "pw-one" not in described
    assert "pw-two" not in described
    assert "sslmode=require" in described


def test_delete_moves_the_row_into_forgotten(
    database: tuple[str, str], make_backend: MakeBackend
) -> None:
    url, table = database
    backend = make_backend(url, table=table)
    backend.put(KEY, TokenRecord("token-forgotten", "profile-f"))
    assert backend.delete(KEY) is True
    assert backend.get(KEY) is None
    assert backend.delete(KEY) is False
    engine = support.admin(url)
    with engine.connect() as conn:
        forgotten = sa.table(
            f"{table}_forgotten",
            sa.column("subject"),
            sa.column("profile_id"),
            sa.column("record"),
            sa.column("forgotten_at"),
        )
        rows = conn.execute(sa.select(forgotten)).all()
        left = conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar()
    engine.dispose()
    assert left == 0
    assert len(rows) == 1
    assert rows[0].subject == "default"
    assert rows[0].profile_id == "profile-f"
    assert json.loads(rows[0].record)["access_token"] == "token-forgotten"
    assert rows[0].forgotten_at is not None


def test_keys_are_listed_in_order(database: tuple[str, str], make_backend: MakeBackend) -> None:
    url, table = database
    backend = make_backend(url, table=table)
    keys = [StorageKey(KEY.api_origin, KEY.client_id, s) for s in ("c", "a", "b")]
    for key in keys:
        backend.put(key, TokenRecord("t"))
    assert list(backend.keys()) == sorted(keys, key=lambda k: k.subject)


def test_longest_subjects_fit(database: tuple[str, str], make_backend: MakeBackend) -> None:
    # 1024 four-byte characters: more than a btree index entry holds, hence the digest key.
    url, table = database
    backend = make_backend(url, table=table)
    key = StorageKey(KEY.api_origin, KEY.client_id, "\U0001f389" * 1024)
    backend.put(key, TokenRecord("token-long"))
    found = backend.get(key)
    assert found is not None
    assert found.access_token == "token-long"


def test_registered_through_the_entry_point() -> None:
    backend = _plugins.registry().backends["sql"]
    assert isinstance(backend, SQLBackend)
    assert backend.priority == 0


def test_sdk_saves_and_reuses_through_storage_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, livelike_emulator: Any
) -> None:
    monkeypatch.setenv("LIVELIKE_SQL_URL", f"sqlite:///{tmp_path / 'sdk.sqlite3'}")
    ids = []
    for expected in ("created", "saved"):
        with livelike.LiveLike("sql-sdk", api_url=livelike_emulator.url, storage="sql") as client:
            profile = client.init(subject="user-1")
        assert profile.source == expected
        ids.append(profile.id)
    _plugins.registry().backends["sql"].close()  # type: ignore[attr-defined]
    assert ids[0] == ids[1]
    assert livelike_emulator.stats()["profiles_created"]["sql-sdk"] == 1


def test_pool_is_sized_for_threads(sqlite_url: str, make_backend: MakeBackend) -> None:
    backend = make_backend(sqlite_url)
    backend.get(KEY)
    engine = backend._engine
    assert engine is not None
    assert engine.pool.size() == 5  # type: ignore[attr-defined]
    assert os.path.exists(sqlite_url.removeprefix("sqlite:///") + "-wal")  # WAL mode

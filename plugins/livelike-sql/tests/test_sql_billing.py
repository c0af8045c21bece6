"""Billing-proof resolution with SQL storage: the cases of livelike's issue table that
need the SQL plugin, each counting the profiles the emulator created."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import test_sql_support as support
from livelike_sql import SQLBackend

import livelike
from livelike import errors
from livelike.cli import main
from livelike.emulator import Emulator

CLIENT_ID = "sql-billing"


def created(emulator: Emulator) -> int:
    return int(emulator.stats()["profiles_created"].get(CLIENT_ID, 0))


def wait_for(predicate: Any, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


INIT = """
import sys
import livelike
storage = None
if len(sys.argv) > 3:
    import test_sql_support
    storage = [test_sql_support.backend_from_env()]
try:
    print("id", livelike.init(sys.argv[1], api_url=sys.argv[2], storage=storage).id)
except livelike.LiveLikeError as exc:
    print("error", type(exc).__name__, exc)
"""


def run_init(env: dict[str, str], emulator: Emulator, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", INIT, CLIENT_ID, emulator.url, *extra],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_losing_the_lock_connection_while_creating_bills_one_profile(
    pg_url: str, pg_table: str, livelike_emulator: Emulator, tmp_path: Path
) -> None:
    name = f"lockloss_{pg_table}"
    env = {
        **support.subprocess_env(support.with_query(pg_url, application_name=name), pg_table),
        "LIVELIKE_HOME": str(tmp_path / "host-a"),  # another host: it shares only the database
    }
    livelike_emulator.inject("create_profile", delay=3.0)
    holder = run_init(env, livelike_emulator, "from-env")
    assert wait_for(lambda: livelike_emulator.stats()["requests"].get("create_profile", 0) == 1)
    assert support.terminate(pg_url, name) >= 1  # the holder's lock connection is gone
    backend = SQLBackend(pg_url, table=pg_table)
    try:
        client = livelike.LiveLike(CLIENT_ID, api_url=livelike_emulator.url, storage=[backend])
        try:
            second = client.init()
        except errors.CreateInDoubtError:
            second = None  # it saw the holder's intent: it waits for the answer, never creates
        out, err = holder.communicate(timeout=60)
        assert holder.returncode == 0, err
        assert wait_for(lambda: created(livelike_emulator) >= 1)
        assert created(livelike_emulator) == 1
        if second is not None:
            assert out.split()[:2] == ["id", second.id]
        client.close()
    finally:
        backend.close()
    assert created(livelike_emulator) == 1


CHOICES = [
    pytest.param(({"LIVELIKE_SQL_URL": "{url}"}, {"LIVELIKE_STORAGE": "sql"}), id="default-vs-sql"),
    pytest.param(
        ({"LIVELIKE_STORAGE": "file,sql"}, {"LIVELIKE_STORAGE": "sql"}), id="file,sql-vs-sql"
    ),
]


@pytest.mark.parametrize("choices", CHOICES)
def test_processes_with_different_storage_choices_create_one_profile(
    livelike_emulator: Emulator, tmp_path: Path, choices: tuple[dict[str, str], dict[str, str]]
) -> None:
    for round_number in range(5):
        livelike_emulator.reset(data=True)
        home = tmp_path / f"round-{round_number}"
        url = f"sqlite:///{home / 'tokens.sqlite3'}"
        base = {"LIVELIKE_HOME": str(home), "LIVELIKE_SQL_URL": url}
        procs = [
            run_init(
                {**base, **{k: v.format(url=url) for k, v in choice.items()}}, livelike_emulator
            )
            for choice in (*choices, *choices)
        ]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        ids = {out.split()[1] for out, _ in outputs if out.startswith("id ")}
        assert len(ids) == 1, (round_number, outputs)
        assert created(livelike_emulator) == 1, round_number


def test_a_token_migrated_out_of_the_chain_is_never_read_as_absent(
    livelike_emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVELIKE_LOAD_PLUGINS", "sql")  # the default chain: env, file; sql outside
    first = livelike.init(CLIENT_ID, api_url=livelike_emulator.url)
    assert main(["token", "migrate", "--to", "sql", "--all"]) == 0
    assert "outside the default storage chain" in capsys.readouterr().err
    with pytest.raises(errors.StorageError, match=r"'sql'.*does not consult"):
        livelike.init(CLIENT_ID, api_url=livelike_emulator.url)
    assert main(["token", "list"]) == 0
    assert "outside the storage chain" in capsys.readouterr().out
    assert created(livelike_emulator) == 1
    # forget acts on the backend the note names, where the token really is
    args = ["token", "forget", "--client-id", CLIENT_ID, "--api-url", livelike_emulator.url]
    assert main(args) == 0
    assert "in sql storage" in capsys.readouterr().out
    assert list(SQLBackend().keys()) == []
    assert livelike.init(CLIENT_ID, api_url=livelike_emulator.url).id != first.id
    assert created(livelike_emulator) == 2  # the user forgot the first on purpose


def test_a_token_saved_in_another_table_is_not_read_as_absent(
    livelike_emulator: Emulator, sqlite_url: str
) -> None:
    first = SQLBackend(sqlite_url, table="tokens_a")
    second = SQLBackend(sqlite_url, table="tokens_b")
    try:
        livelike.init(CLIENT_ID, api_url=livelike_emulator.url, storage=[first])
        with pytest.raises(errors.StorageError, match=r"tokens_a.*does not consult"):
            livelike.init(CLIENT_ID, api_url=livelike_emulator.url, storage=[second])
    finally:
        first.close()
        second.close()
    assert created(livelike_emulator) == 1

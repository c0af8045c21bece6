"""lock(key): exclusive across instances and processes, bounded by lock_timeout, released
when the holder dies, reentrant in a thread, and independent between keys."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import test_sql_support as support
from test_sql_support import MakeBackend

from livelike.errors import StorageError
from livelike.storage import StorageKey, TokenRecord

KEY = StorageKey("https://locks.example", "lock-client", "default")


def test_lock_times_out_while_another_instance_holds_it(
    database: tuple[str, str], make_backend: MakeBackend
) -> None:
    url, table = database
    holder = make_backend(url, table=table)
    waiter = make_backend(url, table=table, lock_timeout=0.5)
    outcome: list[tuple[StorageError | None, float]] = []

    def wait() -> None:  # in another thread: a thread may nest its own locks
        started = time.monotonic()
        try:
            with waiter.lock(KEY):
                outcome.append((None, 0.0))
        except StorageError as exc:
            outcome.append((exc, time.monotonic() - started))

    with holder.lock(KEY):
        thread = threading.Thread(target=wait)
        thread.start()
        thread.join(30)
    [(error, waited)] = outcome
    assert error is not None, "the lock was taken twice"
    assert "timed out" in str(error)
    assert error.backend == "sql"
    assert 0.4 <= waited < 3.0
    started = time.monotonic()
    with waiter.lock(KEY):  # free again once the holder left
        waiter.put(KEY, TokenRecord("after-timeout"))
    assert time.monotonic() - started < 1.0


def test_killed_holder_releases_the_lock(
    database: tuple[str, str], make_backend: MakeBackend
) -> None:
    url, table = database
    env = {**os.environ, **support.subprocess_env(url, table)}
    holder = subprocess.Popen(
        [sys.executable, "-m", "test_sql_worker", "hold", KEY.api_origin, KEY.client_id, "default"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    waiter = make_backend(url, table=table, lock_timeout=0.5)
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line.strip() == "locked", holder.stderr.read() if holder.stderr else line
        with pytest.raises(StorageError, match="timed out"), waiter.lock(KEY):
            pytest.fail("the lock was taken while the holder lives")
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        patient = make_backend(url, table=table, lock_timeout=10)
        started = time.monotonic()
        with patient.lock(KEY):
            pass
        assert time.monotonic() - started < 5
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        for stream in (holder.stdout, holder.stderr):
            if stream is not None:
                stream.close()


def test_different_keys_are_locked_at_the_same_time(
    database: tuple[str, str], make_backend: MakeBackend
) -> None:
    url, table = database
    backend = make_backend(url, table=table, lock_timeout=5)
    inside = threading.Barrier(8, timeout=10)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        key = StorageKey(KEY.api_origin, KEY.client_id, f"subject-{n}")
        try:
            with backend.lock(key):
                inside.wait()  # all 8 hold their lock at once
                backend.put(key, TokenRecord(f"token-{n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert len(list(backend.keys())) == 8


def test_lock_is_reentrant_in_one_thread(
    database: tuple[str, str], make_backend: MakeBackend
) -> None:
    url, table = database
    backend = make_backend(url, table=table, lock_timeout=0.5)
    other = make_backend(url, table=table, lock_timeout=0.5)
    with backend.lock(KEY), backend.lock(KEY):
        backend.put(KEY, TokenRecord("nested"))
    with other.lock(KEY):  # every level was released
        found = other.get(KEY)
    assert found is not None
    assert found.access_token == "nested"


def test_postgres_lock_uses_one_connection_and_returns_it(
    pg_url: str, pg_table: str, make_backend: MakeBackend
) -> None:
    backend = make_backend(pg_url, table=pg_table)
    backend.get(KEY)
    engine = backend._engine
    assert engine is not None
    pool = engine.pool
    with backend.lock(KEY):
        assert pool.checkedout() == 1  # type: ignore[attr-defined]
        assert backend.get(KEY) is None
        backend.put(KEY, TokenRecord("one-connection"))
        assert pool.checkedout() == 1  # type: ignore[attr-defined]
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


def test_sqlite_lock_files_live_beside_the_database(
    sqlite_url: str, make_backend: MakeBackend
) -> None:
    backend = make_backend(sqlite_url)
    with backend.lock(KEY):
        pass
    database = sqlite_url.removeprefix("sqlite:///")
    lock_file = f"{database}.locks/livelike_tokens/{KEY.digest}.lock"
    assert os.path.exists(lock_file)
    assert oct(os.stat(os.path.dirname(lock_file)).st_mode & 0o777) == "0o700"

"""The fault matrix: every step of ``init`` x every fault, on files and on PostgreSQL.

Steps: config, validate (HTTP, through the emulator's fault injection);
intent write, create, save, snapshot (storage steps through a backend that
fails on purpose; create through the emulator). Each cell asserts the error a
user sees, how many profiles the emulator created, and what the next ``init``
does. It lives beside the SQL plugin because it runs on both backends.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import test_sql_support as support
from livelike_sql import SQLBackend

import livelike
from livelike import errors
from livelike._transport import RetryPolicy
from livelike.backends.file import FileBackend
from livelike.emulator import Emulator
from livelike.storage import LockScope, StorageBackend, StorageKey, TokenRecord

CLIENT_ID = "fault-matrix"
HTML = "<html><body>Service unavailable (CDN)</body></html>"
HTTP_FAULTS: dict[str, dict[str, Any]] = {
    "5xx": {"status": 503},
    "429": {"status": 429, "retry_after": 0},
    "timeout": {"delay": 1.0},
    "drop before": {"drop": True},
    "drop after": {"drop": True, "when": "after"},
    "HTML page": {"status": 403, "body": HTML},
}
STORAGE_FAULTS = ("storage error", "lock loss")

# (step, fault) -> (error raised, profiles created after, what the next init does)
CREATE_OUTCOME = {
    "5xx": (errors.CreateInDoubtError, 0, "in doubt"),
    "429": (errors.RateLimitedError, 0, "creates"),
    "timeout": (errors.CreateInDoubtError, 1, "in doubt"),
    "drop before": (errors.CreateInDoubtError, 0, "in doubt"),
    "drop after": (errors.CreateInDoubtError, 1, "in doubt"),
    "HTML page": (errors.CreateInDoubtError, 0, "in doubt"),
}
CONFIG_ERRORS = {
    "5xx": errors.ServiceError,
    "429": errors.RateLimitedError,
    "timeout": errors.NetworkError,
    "drop before": errors.NetworkError,
    "drop after": errors.NetworkError,
    "HTML page": errors.ServiceError,
}


class Faulty(StorageBackend):
    """Delegates to a real backend; fails one kind of write on purpose."""

    name: ClassVar[str] = "faulty"
    writable: ClassVar[bool] = True
    persistent: ClassVar[bool] = True

    def __init__(self, inner: StorageBackend, kill: Callable[[], None] | None) -> None:
        self.inner = inner
        self.kill = kill
        self.fail: tuple[str, str] | None = None  # (step, fault)
        self.tokens: set[str] = set()

    @property
    def lock_scope(self) -> LockScope:
        return self.inner.lock_scope

    def _step(self, record: TokenRecord) -> str:
        if record.intent is not None:
            return "intent write"
        return "snapshot" if record.access_token in self.tokens else "save"

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        step = self._step(record)
        if self.fail is not None and self.fail[0] == step:
            if self.fail[1] == "lock loss":
                assert self.kill is not None
                self.kill()  # the lock's connection dies; the write then runs on it
            else:
                raise OSError(5, "Input/output error")
        self.inner.put(key, record)
        self.tokens.add(record.access_token)

    def get(self, key: StorageKey) -> TokenRecord | None:
        return self.inner.get(key)

    def delete(self, key: StorageKey) -> bool:
        return self.inner.delete(key)

    def keys(self) -> Iterator[StorageKey]:
        return self.inner.keys()

    def lock(self, key: StorageKey) -> contextlib.AbstractContextManager[None]:
        return self.inner.lock(key)

    def describe(self) -> str:
        return self.inner.describe()


BACKENDS = ["file", "postgresql"]
STORAGE_CELLS = [
    pytest.param(backend, fault, id=f"{backend}-{fault}")
    for backend in BACKENDS
    for fault in STORAGE_FAULTS
    if not (backend == "file" and fault == "lock loss")  # a held file lock is never lost
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, isolated: Path) -> Iterator[Faulty]:
    if request.param == "file":
        yield Faulty(FileBackend(isolated / "store"), None)
        return
    reason = support.pg_unreachable()
    if reason is not None:
        from conftest import skip_or_fail

        skip_or_fail(reason)
    table = support.unique_table()
    name = f"matrix_{table}"
    inner = SQLBackend(support.with_query(support.PG_URL, application_name=name), table=table)

    def kill() -> None:
        assert support.terminate(support.PG_URL, name) >= 1

    yield Faulty(inner, kill)
    inner.close()
    support.drop_tables(support.PG_URL, table)


def created(emulator: Emulator) -> int:
    return int(emulator.stats()["profiles_created"].get(CLIENT_ID, 0))


def settled(emulator: Emulator, expected: int) -> int:
    deadline = time.monotonic() + 10  # a delayed create finishes at the service later
    while created(emulator) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return created(emulator)


@pytest.fixture
def client(livelike_emulator: Emulator, store: Faulty) -> Callable[[], livelike.LiveLike]:
    made: list[livelike.LiveLike] = []

    def make() -> livelike.LiveLike:
        made.append(
            livelike.LiveLike(
                CLIENT_ID,
                api_url=livelike_emulator.url,
                storage=[store],
                retry=RetryPolicy(max_retries=0),
                timeout=(1.0, 0.3),
                config_ttl=0,
            )
        )
        return made[-1]

    return make


@pytest.mark.parametrize("fault", list(HTTP_FAULTS))
def test_config_step(livelike_emulator: Emulator, client: Any, fault: str) -> None:
    livelike_emulator.inject("config", **HTTP_FAULTS[fault])
    with pytest.raises(CONFIG_ERRORS[fault]):
        client().init()
    assert created(livelike_emulator) == 0
    assert client().init().source == "created"
    assert created(livelike_emulator) == 1


@pytest.mark.parametrize("fault", list(HTTP_FAULTS))
def test_validate_step(livelike_emulator: Emulator, client: Any, fault: str) -> None:
    first = client().init()
    livelike_emulator.inject("get_profile", **HTTP_FAULTS[fault])
    expected = CONFIG_ERRORS[fault]
    with pytest.raises(expected) as caught:
        client().init()
    assert not isinstance(caught.value, errors.InvalidAccessTokenError)
    assert created(livelike_emulator) == 1
    assert client().init().id == first.id
    assert created(livelike_emulator) == 1


@pytest.mark.parametrize("fault", list(HTTP_FAULTS))
def test_create_step(livelike_emulator: Emulator, client: Any, fault: str) -> None:
    error, billed, then = CREATE_OUTCOME[fault]
    livelike_emulator.inject("create_profile", **HTTP_FAULTS[fault])
    with pytest.raises(error):
        client().init()
    assert settled(livelike_emulator, billed) == billed
    if then == "in doubt":
        with pytest.raises(errors.CreateInDoubtError):
            client().init()
        assert created(livelike_emulator) == billed
    else:
        assert client().init().source == "created"
        assert created(livelike_emulator) == billed + 1


@pytest.mark.parametrize(("store", "fault"), STORAGE_CELLS, indirect=["store"])
def test_intent_write_step(
    livelike_emulator: Emulator, client: Any, store: Faulty, fault: str
) -> None:
    store.fail = ("intent write", fault)
    with pytest.raises(errors.StorageError) as caught:
        client().init()
    assert not isinstance(caught.value, errors.ProfileNotSavedError)
    assert created(livelike_emulator) == 0
    store.fail = None
    assert client().init().source == "created"
    assert created(livelike_emulator) == 1


@pytest.mark.parametrize(("store", "fault"), STORAGE_CELLS, indirect=["store"])
def test_save_step(livelike_emulator: Emulator, client: Any, store: Faulty, fault: str) -> None:
    store.fail = ("save", fault)
    with pytest.raises(errors.ProfileNotSavedError) as caught:
        client().init()
    assert caught.value.profile.access_token  # the billed profile is handed back
    assert created(livelike_emulator) == 1
    store.fail = None
    with pytest.raises(errors.CreateInDoubtError):
        client().init()
    assert created(livelike_emulator) == 1
    client().init(access_token=caught.value.profile.access_token)  # keep the one billed
    assert client().init().id == caught.value.profile.id
    assert created(livelike_emulator) == 1


@pytest.mark.parametrize(("store", "fault"), STORAGE_CELLS, indirect=["store"])
def test_snapshot_step(livelike_emulator: Emulator, client: Any, store: Faulty, fault: str) -> None:
    first = client().init()
    client().update_user_profile(nickname="Changed", access_token=first.access_token)
    store.fail = ("snapshot", fault)
    again = client().init()  # the snapshot is a cache: failing to refresh it is only logged
    assert again.id == first.id
    assert again.nickname == "Changed"
    store.fail = None
    assert client().init().id == first.id
    assert created(livelike_emulator) == 1

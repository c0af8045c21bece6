"""Billing-proof resolution: no fault bills a second profile for one user.

Every test counts the profiles the emulator created (where they are billed).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import livelike
from livelike import _audit, errors
from livelike._transport import RetryPolicy
from livelike.backends.file import FileBackend
from livelike.backends.memory import MemoryBackend
from livelike.cli import main
from livelike.emulator import Emulator
from livelike.storage import StorageKey, TokenRecord
from tests.conftest import CLIENT_ID, MakeClient, created, emulator_key, requests_seen

NO_RETRY = RetryPolicy(max_retries=0)
HTML = "<html><body><h1>Access denied</h1>Ray ID: 1234</body></html>"

LOST_ANSWERS = [
    pytest.param({"drop": True, "when": "after"}, id="dropped after the work"),
    pytest.param({"status": 502, "when": "after"}, id="502 after the work"),
    pytest.param({"delay": 1.0}, id="read timeout while the service works"),
    pytest.param({"status": 200, "body": "", "when": "after"}, id="empty 200"),
    pytest.param({"status": 200, "body": HTML, "when": "after"}, id="HTML 200 after the work"),
]


def events(home: Path) -> list[str]:
    return [str(e.get("event", "created")) for e in _audit.entries(home / "audit.jsonl")]


@pytest.mark.parametrize("fault", LOST_ANSWERS)
def test_a_create_whose_answer_is_lost_bills_once_and_blocks_until_accepted(
    make_client: MakeClient, emulator: Emulator, home: Path, fault: dict[str, object]
) -> None:
    emulator.inject("create_profile", **fault)  # type: ignore[arg-type]
    client = make_client(timeout=(1.0, 0.3))
    with pytest.raises(errors.CreateInDoubtError, match="may have reached the service"):
        client.init()
    for _ in range(3):  # every later init refuses to create: the lost profile may be billed
        with pytest.raises(errors.CreateInDoubtError, match=r"accept-lost") as caught:
            make_client().init()
        assert caught.value.started_at
    assert _wait_created(emulator, 1) == 1
    assert requests_seen(emulator)["create_profile"] == 1
    assert events(home) == ["create in doubt"]

    assert make_client().accept_lost_create() is True
    profile = make_client().init()
    assert profile.source == "created"
    assert created(emulator) == 2  # one lost, one accepted on purpose, nothing else
    assert events(home) == ["create in doubt", "lost create accepted", "created"]
    assert make_client().init().id == profile.id
    assert created(emulator) == 2


def _wait_created(emulator: Emulator, at_least: int) -> int:
    import time

    deadline = time.monotonic() + 10  # a delayed create finishes on the service side later
    while created(emulator) < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
    return created(emulator)


def test_token_history_and_list_show_the_create_in_doubt(
    make_client: MakeClient, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.inject("create_profile", drop=True, when="after")
    with pytest.raises(errors.CreateInDoubtError):
        make_client().init()
    assert main(["token", "history", "--client-id", CLIENT_ID]) == 0
    assert "create in doubt" in capsys.readouterr().out
    assert main(["token", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)["tokens"]
    assert listed["in_doubt_since"]
    assert listed["subject"] == "default"
    assert main(["token", "accept-lost", "--client-id", CLIENT_ID]) == 0
    assert "accepted the lost create" in capsys.readouterr().out
    assert main(["token", "history", "--client-id", CLIENT_ID]) == 0
    assert "lost create accepted" in capsys.readouterr().out
    assert created(emulator) == 1


def test_a_refused_create_takes_its_intent_back(
    make_client: MakeClient, emulator: Emulator
) -> None:
    emulator.inject("create_profile", status=429, retry_after=60)
    with pytest.raises(errors.RateLimitedError):
        make_client().init()
    assert make_client().saved_record() is None  # a 429 proves nothing was created
    assert make_client().init().source == "created"
    assert created(emulator) == 1


def test_a_given_token_settles_a_create_in_doubt(
    make_client: MakeClient, emulator: Emulator
) -> None:
    emulator.inject("create_profile", status=502, when="after")
    with pytest.raises(errors.CreateInDoubtError):
        make_client().init()
    other = make_client().create_user_profile()  # e.g. the token found in a support ticket
    assert make_client().init(access_token=other.access_token).id == other.id
    assert make_client().init().id == other.id
    assert created(emulator) == 2


class DroppingBackend(FileBackend):
    """A store that takes its lock and accepts writes, but keeps nothing (a keyring that
    drops writes)."""

    name = "dropping"

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        return None


class FullDiskBackend(FileBackend):
    """A store whose disk is full: every write fails with ENOSPC."""

    name = "full"

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("backend_type", [DroppingBackend, FullDiskBackend])
def test_storage_that_locks_but_cannot_keep_a_token_creates_nothing(
    make_client: MakeClient, emulator: Emulator, home: Path, backend_type: type[FileBackend]
) -> None:
    for _ in range(3):
        with pytest.raises(errors.StorageError) as caught:
            make_client(storage=backend_type(home)).init()
        assert not isinstance(caught.value, errors.ProfileNotSavedError)
    assert created(emulator) == 0
    assert "create_profile" not in requests_seen(emulator)


FILE_SIZE_LIMIT = """
import resource, signal, sys
import livelike
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))
try:
    livelike.init(sys.argv[1])
except livelike.errors.StorageError as exc:
    print(type(exc).__name__)
"""


def test_a_file_size_limit_creates_nothing(emulator: Emulator, home: Path) -> None:
    env = {**os.environ, "LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", FILE_SIZE_LIMIT, CLIENT_ID],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.stdout.strip() == "StorageError", done.stderr
    assert created(emulator) == 0


@pytest.mark.parametrize("status", [401, 403])
def test_an_html_401_or_403_while_validating_is_not_the_service_rejecting_the_token(
    make_client: MakeClient, emulator: Emulator, home: Path, status: int
) -> None:
    first = make_client().init()
    emulator.inject("get_profile", status=status, body=HTML, times=10)
    with pytest.raises(errors.ServiceError, match="not the LiveLike API's") as caught:
        make_client(retry=NO_RETRY).init()
    assert not isinstance(caught.value, errors.InvalidAccessTokenError)
    record = make_client().saved_record()
    assert record is not None
    assert record.profile_id == first.id
    assert not record.history
    assert created(emulator) == 1


def test_a_json_403_from_the_service_still_replaces_a_rejected_token(
    make_client: MakeClient, emulator: Emulator
) -> None:
    first = make_client().init()
    emulator.inject("get_profile", status=403, times=1)
    assert make_client(retry=NO_RETRY).init().id != first.id
    assert created(emulator) == 2  # the service itself said the token is no good


@pytest.mark.parametrize("how", ["argument", "instance", "variable"])
def test_memory_is_not_storage_without_ephemeral(
    make_client: MakeClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    kwargs: dict[str, object] = {}
    if how == "argument":
        kwargs["storage"] = "memory"
    elif how == "instance":
        kwargs["storage"] = [MemoryBackend()]
    else:
        monkeypatch.setenv("LIVELIKE_STORAGE", "memory")
    for _ in range(3):
        with pytest.raises(errors.StorageError, match="ephemeral=True"):
            make_client(**kwargs).init()
    assert created(emulator) == 0
    assert make_client(**kwargs).init(ephemeral=True).source == "created"
    assert created(emulator) == 1


def test_a_token_saved_at_another_location_is_not_read_as_absent(
    make_client: MakeClient, emulator: Emulator, tmp_path: Path
) -> None:
    make_client(storage=FileBackend(tmp_path / "first")).init()
    with pytest.raises(errors.StorageError, match=r"does not consult") as caught:
        make_client(storage=FileBackend(tmp_path / "second")).init()
    assert str(tmp_path / "first") in str(caught.value)
    assert created(emulator) == 1


def test_forget_refuses_while_the_noted_token_cannot_be_reached(
    make_client: MakeClient, emulator: Emulator, tmp_path: Path
) -> None:
    make_client(storage=FileBackend(tmp_path / "first")).init()
    with pytest.raises(errors.StorageError, match="does not consult"):
        make_client(storage=FileBackend(tmp_path / "second")).forget()
    with pytest.raises(errors.StorageError, match="does not consult"):
        make_client(storage=FileBackend(tmp_path / "second")).init()  # the note was kept
    assert created(emulator) == 1
    assert emulator_key(emulator) in set(FileBackend(tmp_path / "first").keys())


def test_module_init_takes_exactly_the_client_and_init_options() -> None:
    import inspect

    module = inspect.signature(livelike.init).parameters
    client = inspect.signature(livelike.LiveLike).parameters
    method = inspect.signature(livelike.LiveLike.init).parameters
    expected = {**client, **{k: v for k, v in method.items() if k != "self"}}
    assert set(module) == set(expected)
    for name, parameter in module.items():
        assert parameter.default == expected[name].default, name
        assert parameter.kind == expected[name].kind or name in ("client_id", "access_token")


class TokenWriteFails(FileBackend):
    """The intent is written, then the disk fills up before the token is saved."""

    name = "token-write-fails"

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        if record.intent is None:
            raise OSError(errno.ENOSPC, "No space left on device")
        super().put(key, record)


def init_in_worker(api_url: str, home: str) -> str:
    """Run in a worker process: an init whose token cannot be saved."""
    os.environ["LIVELIKE_HOME"] = home
    with livelike.LiveLike(CLIENT_ID, api_url=api_url, storage=[TokenWriteFails(home)]) as client:
        return client.init().id


def test_a_profile_not_saved_crosses_a_process_pool_with_its_token(
    emulator: Emulator, home: Path
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        future = pool.submit(init_in_worker, emulator.url, str(home))
        with pytest.raises(errors.ProfileNotSavedError) as caught:
            future.result(timeout=120)
    billed = caught.value.profile
    assert billed.access_token
    assert billed.access_token not in str(caught.value)
    assert created(emulator) == 1
    # the token the parent received is the billed profile's: keep it, nothing else is created
    assert livelike.init(CLIENT_ID, access_token=billed.access_token).id == billed.id
    assert created(emulator) == 1

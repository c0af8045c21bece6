"""Duplicate-proof persistence: exactly one profile per key under concurrency, outages,
crashes and bad files, with every creation accounted for."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import livelike
from livelike import errors
from livelike.backends.file import FileBackend
from livelike.backends.memory import MemoryBackend
from livelike.emulator import Emulator
from livelike.storage import StorageKey
from tests.conftest import (
    CLIENT_ID,
    LockedBackend,
    MakeClient,
    created,
    emulator_key,
    requests_seen,
    run_python,
    run_threads,
    run_together,
)

ROUNDS = 20
WORKERS = 16
KILL_ITERATIONS = 200
INIT_AND_PRINT = f"import livelike; print(livelike.init({CLIENT_ID!r}).id)"


def test_processes_starting_together_create_one_profile_every_round(
    emulator: Emulator, tmp_path: Path
) -> None:
    for round_number in range(ROUNDS):
        emulator.reset(data=True)
        home = tmp_path / f"round-{round_number}"
        env = {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
        outputs = run_together(INIT_AND_PRINT, [env] * WORKERS)
        ids = {out.strip() for out, _ in outputs}
        assert len(ids) == 1, f"round {round_number}: {len(ids)} different ids"
        assert created(emulator) == 1, f"round {round_number}"


def init_from_threads(client: livelike.LiveLike) -> tuple[list[str], list[BaseException]]:
    """Call ``client.init()`` from WORKERS threads released together."""
    barrier = threading.Barrier(WORKERS)
    ids: list[str] = []
    failures: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            ids.append(client.init().id)
        except BaseException as exc:
            failures.append(exc)

    run_threads(worker, WORKERS)
    return ids, failures


def test_threads_sharing_a_client_create_one_profile_every_round(
    make_client: MakeClient, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for round_number in range(ROUNDS):
        emulator.reset(data=True)
        home = tmp_path / f"round-{round_number}"
        monkeypatch.setenv("LIVELIKE_HOME", str(home))  # a fresh machine each round
        client = make_client(storage=FileBackend(home))
        ids, failures = init_from_threads(client)
        assert not failures, f"round {round_number}: {failures[0]!r}"
        assert len(ids) == WORKERS
        assert len(set(ids)) == 1, f"round {round_number}"
        assert created(emulator) == 1, f"round {round_number}"


WRITER = """
import sys
from livelike.backends.file import FileBackend
from livelike.storage import StorageKey, TokenRecord
backend = FileBackend(sys.argv[1])
key = StorageKey("https://api.example", "client", "default")
n = int(sys.argv[2])
print("ready", flush=True)
while True:
    n += 1
    backend.put(key, TokenRecord(f"token-{n}", f"profile-{n}"))
"""


def test_killed_writers_never_leave_a_torn_file(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    key = StorageKey("https://api.example", "client", "default")
    rng = random.Random(1234)
    last_seen = -1
    for iteration in range(KILL_ITERATIONS):
        start = iteration * 1_000_000
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, 0.02))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        record = backend.get(key)  # raises on a torn or empty file
        if record is None:
            assert last_seen == -1, f"iteration {iteration}: a saved record vanished"
            continue
        number = int(record.access_token.removeprefix("token-"))
        assert record.profile_id == f"profile-{number}"
        assert number >= last_seen, f"iteration {iteration}: an older record came back"
        last_seen = number
    assert last_seen > 0
    leftovers = [p.name for p in (tmp_path / "tokens").iterdir() if p.suffix == ".json"]
    assert leftovers == [f"{key.digest}.json"]


HOLD_LOCK_THEN_DIE = """
import os, signal, sys
os.environ["LIVELIKE_HOME"] = sys.argv[1]
from livelike._chain import StorageChain
from livelike.backends.file import FileBackend
from livelike.storage import StorageKey
key = StorageKey(sys.argv[2], sys.argv[3], "default")
lock = StorageChain((FileBackend(sys.argv[1]),)).lock(key)  # the key lock init takes
lock.__enter__()
print("locked", flush=True)
if sys.argv[4] == "die":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()
"""


def test_a_lock_whose_holder_died_is_recovered(emulator: Emulator, home: Path) -> None:
    key = emulator_key(emulator)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_THEN_DIE, str(home), key.api_origin, CLIENT_ID, "die"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    holder.wait()
    holder.stdout.close()
    assert holder.returncode == -signal.SIGKILL
    assert livelike.init(CLIENT_ID).source == "created"
    assert created(emulator) == 1


def test_a_live_lock_holder_makes_init_wait_then_fail_without_creating(
    make_client: MakeClient, emulator: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVELIKE_LOCK_TIMEOUT", "0.5")
    key = emulator_key(emulator)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_THEN_DIE, str(home), key.api_origin, CLIENT_ID, "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(errors.StorageError, match=r"timed out after 0\.5s waiting"):
            make_client(storage=FileBackend(home)).init()
        assert created(emulator) == 0
    finally:
        holder.kill()
        holder.communicate()


@pytest.mark.parametrize("value", ["soon", "0", "-1", "inf", "nan"])
def test_a_lock_timeout_that_is_not_a_positive_number_creates_nothing(
    make_client: MakeClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("LIVELIKE_LOCK_TIMEOUT", value)
    with pytest.raises(errors.InvalidArgumentError, match=f"LIVELIKE_LOCK_TIMEOUT .*{value!r}"):
        make_client().init()
    assert created(emulator) == 0


@pytest.mark.parametrize(
    ("fault", "error", "expect_created"),
    [
        ({"status": 503}, errors.CreateInDoubtError, 0),
        ({"status": 429, "retry_after": 1}, errors.RateLimitedError, 0),
        ({"drop": True}, errors.CreateInDoubtError, 0),
        ({"drop": True, "when": "after"}, errors.CreateInDoubtError, 1),
        ({"delay": 1.0}, errors.CreateInDoubtError, 1),
    ],
)
def test_create_faults_are_reported_never_retried(
    make_client: MakeClient,
    emulator: Emulator,
    home: Path,
    fault: dict[str, object],
    error: type[Exception],
    expect_created: int,
) -> None:
    emulator.inject("create_profile", **fault)  # type: ignore[arg-type]
    with pytest.raises(error):
        make_client(timeout=(1.0, 0.3)).init()
    deadline = time.monotonic() + 10  # a delayed create finishes on the service side later
    while created(emulator) < expect_created and time.monotonic() < deadline:
        time.sleep(0.05)
    assert requests_seen(emulator)["create_profile"] == 1
    assert created(emulator) == expect_created
    record = make_client().saved_record()
    if error is errors.CreateInDoubtError:  # the intent stays: the create may have billed
        assert record is not None
        assert record.intent is not None
        assert not record.access_token
    else:  # a refusal proves nothing was made: the intent was taken back
        assert record is None


def test_network_error_on_create_says_why_it_was_not_retried(
    make_client: MakeClient, emulator: Emulator
) -> None:
    emulator.inject("create_profile", drop=True, when="after")
    with pytest.raises(errors.CreateInDoubtError, match="may have acted on it, so it was not"):
        make_client().init()


def test_an_unavailable_backend_with_no_token_elsewhere_creates_nothing(
    make_client: MakeClient, emulator: Emulator
) -> None:
    with pytest.raises(errors.StorageError, match="'locked' could not look up") as caught:
        make_client(storage=[LockedBackend(), MemoryBackend()]).init()
    assert caught.value.backend == "locked"
    assert created(emulator) == 0


def test_a_token_found_after_an_unavailable_backend_is_used(
    make_client: MakeClient, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryBackend()
    first = make_client(storage=[store]).init(ephemeral=True)
    again = make_client(storage=[LockedBackend(), store]).init()
    assert again.id == first.id
    assert created(emulator) == 1
    assert any("'locked' was unavailable" in r.getMessage() for r in caplog.records)


def test_ephemeral_allows_a_profile_no_storage_keeps(
    make_client: MakeClient, emulator: Emulator
) -> None:
    with pytest.raises(errors.StorageError, match="pass ephemeral=True"):
        make_client(storage="env").init()
    assert created(emulator) == 0
    profile = make_client(storage="env").init(ephemeral=True)
    assert profile.access_token
    assert created(emulator) == 1


def test_every_creation_is_audited_without_tokens(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    first = livelike.init(CLIENT_ID)
    emulator.reset(data=True)  # the saved token becomes invalid
    second = livelike.init(CLIENT_ID)
    third = livelike.create_user_profile()
    lines = (home / "audit.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["profile_id"], e["reason"]) for e in entries] == [
        (first.id, "no saved token"),
        (second.id, "rejected saved token"),
        (third.id, "explicit create"),
    ]
    assert all(e["client_id"] == CLIENT_ID and e["subject"] == "default" for e in entries)
    assert (home / "audit.jsonl").stat().st_mode & 0o777 == 0o600
    text = "\n".join(lines)
    for profile in (first, second, third):
        assert str(profile.access_token) not in text

    env = {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
    shown = run_python(
        "import sys; from livelike.cli import main; "
        f"sys.exit(main(['token', 'history', '--client-id', {CLIENT_ID!r}]))",
        env,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("\n  ") == 4  # three creations, one replaced token
    assert f"profile {first.id}  rejected by the service" in shown.stdout
    for profile in (first, second, third):
        assert profile.id in shown.stdout
        assert str(profile.access_token) not in shown.stdout

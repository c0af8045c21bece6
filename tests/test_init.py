"""init(): reuse, explicit tokens, rejected tokens, outages, request counts, concurrency."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import livelike
from livelike import errors
from livelike.backends.file import FileBackend
from livelike.emulator import Emulator
from livelike.storage import StorageKey
from tests.conftest import (
    CLIENT_ID,
    MakeClient,
    created,
    emulator_key,
    requests_seen,
    run_python,
    run_threads,
    run_together,
)


def saved(emulator: Emulator, home: Path, subject: str = "default") -> livelike.TokenRecord | None:
    return FileBackend(home).get(emulator_key(emulator, subject))


INIT_AND_PRINT = "import livelike; p = livelike.init({client!r}); print(p.id, p.source)"


def test_two_processes_share_one_profile(emulator: Emulator, home: Path) -> None:
    env = {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
    first = run_python(INIT_AND_PRINT.format(client=CLIENT_ID), env)
    second = run_python(INIT_AND_PRINT.format(client=CLIENT_ID), env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    first_id, first_source = first.stdout.split()
    second_id, second_source = second.stdout.split()
    assert (first_source, second_source) == ("created", "saved")
    assert first_id == second_id
    assert created(emulator) == 1


def test_first_init_creates_and_saves_before_returning(emulator: Emulator, home: Path) -> None:
    profile = livelike.init(CLIENT_ID)
    assert profile.source == "created"
    assert profile.access_token
    record = saved(emulator, home)
    assert record is not None
    assert record.access_token == profile.access_token
    assert record.profile_id == profile.id


def test_request_counts_cold_then_warm(emulator: Emulator) -> None:
    livelike.init(CLIENT_ID)
    assert requests_seen(emulator) == {"config": 1, "create_profile": 1}
    emulator.reset()
    profile = livelike.init(CLIENT_ID)
    assert profile.source == "saved"
    assert requests_seen(emulator) == {"get_profile": 1}  # the config comes from the cache


def test_creation_is_logged_as_mau(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="livelike"):
        profile = livelike.init(CLIENT_ID)
    lines = [r.getMessage() for r in caplog.records if "Monthly Active Users" in r.getMessage()]
    assert len(lines) == 1
    assert profile.id in lines[0]
    assert "no saved token" in lines[0]


def test_subjects_get_separate_profiles(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client()
    alice = client.init(subject="alice")
    bob = client.init(subject="bob")
    assert alice.id != bob.id
    assert client.init(subject="alice").id == alice.id
    assert created(emulator) == 2


def test_client_ids_and_origins_do_not_share_tokens(
    make_client: MakeClient, emulator: Emulator
) -> None:
    first = make_client("client-a").init()
    second = make_client("client-b").init()
    assert first.id != second.id
    assert created(emulator, "client-a") == 1
    assert created(emulator, "client-b") == 1


def test_explicit_token_loads_its_profile_and_saves_it(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    original = make_client().create_user_profile(nickname="Given")
    emulator.reset()
    profile = livelike.init(CLIENT_ID, access_token=original.access_token)
    assert profile.id == original.id
    assert profile.source == "given"
    assert profile.nickname == "Given"
    assert created(emulator) == 0
    record = saved(emulator, home)
    assert record is not None
    assert record.access_token == original.access_token
    # the next init without a token reuses it
    assert livelike.init(CLIENT_ID).id == original.id
    assert created(emulator) == 0


def test_explicit_token_with_persist_false_saves_nothing(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    original = make_client().create_user_profile()
    livelike.init(CLIENT_ID, access_token=original.access_token, persist=False)
    assert saved(emulator, home) is None


def test_explicit_token_keeps_the_old_saved_token_in_history(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    first = livelike.init(CLIENT_ID)
    other = make_client().create_user_profile()
    livelike.init(CLIENT_ID, access_token=other.access_token)
    record = saved(emulator, home)
    assert record is not None
    assert record.access_token == other.access_token
    assert [old.access_token for old in record.history] == [first.access_token]
    assert record.history[0].profile_id == first.id


def test_explicit_rejected_token_raises_and_creates_nothing(emulator: Emulator, home: Path) -> None:
    with pytest.raises(errors.InvalidAccessTokenError) as caught:
        livelike.init(CLIENT_ID, access_token="not-a-real-token")
    assert caught.value.status in (401, 403)
    assert created(emulator) == 0
    assert saved(emulator, home) is None


def test_rejected_saved_token_is_replaced_and_kept_in_history(
    emulator: Emulator, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = livelike.init(CLIENT_ID)
    emulator.reset(data=True)  # the service forgot every profile: the saved token is now invalid
    with caplog.at_level("INFO", logger="livelike"):
        second = livelike.init(CLIENT_ID)
    assert second.source == "created"
    assert second.id != first.id
    record = saved(emulator, home)
    assert record is not None
    assert record.access_token == second.access_token
    assert [old.access_token for old in record.history] == [first.access_token]
    assert "rejected" in record.history[0].reason
    assert any("rejected saved token" in r.getMessage() for r in caplog.records)


def test_rejected_saved_token_with_raise_policy(emulator: Emulator, home: Path) -> None:
    first = livelike.init(CLIENT_ID)
    emulator.reset(data=True)
    with pytest.raises(errors.InvalidAccessTokenError):
        livelike.init(CLIENT_ID, on_invalid_token="raise")
    assert created(emulator) == 0
    record = saved(emulator, home)
    assert record is not None
    assert record.access_token == first.access_token


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 503}, errors.ServiceError),
        ({"status": 500}, errors.ServiceError),
        ({"status": 429, "retry_after": 0}, errors.RateLimitedError),
        ({"drop": True}, errors.NetworkError),
        ({"delay": 1.5}, errors.NetworkError),
    ],
)
def test_validation_outage_raises_and_keeps_the_saved_token(
    make_client: MakeClient,
    emulator: Emulator,
    home: Path,
    fault: dict[str, object],
    error: type[Exception],
) -> None:
    first = make_client().init()
    before = (home / "tokens").iterdir().__next__().read_bytes()
    emulator.reset()
    emulator.inject("get_profile", times=10, **fault)  # type: ignore[arg-type]
    client = make_client(timeout=(1.0, 0.5))
    with pytest.raises(error):
        client.init()
    assert created(emulator) == 0
    assert (home / "tokens").iterdir().__next__().read_bytes() == before
    emulator.clear_faults()
    assert client.init().id == first.id


def test_get_is_retried_through_a_503_and_a_429(
    make_client: MakeClient, emulator: Emulator
) -> None:
    first = make_client().init()
    emulator.reset()
    emulator.inject("get_profile", status=503, times=1)
    emulator.inject("get_profile", status=429, retry_after=0, times=1)
    profile = make_client().init()
    assert profile.id == first.id
    assert requests_seen(emulator) == {"get_profile": 3}
    assert created(emulator) == 0


def test_create_is_not_retried_once_sent(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    emulator.inject("create_profile", drop=True, when="after")
    with pytest.raises(errors.CreateInDoubtError) as caught:
        make_client().init()
    cause = caught.value.__cause__
    assert isinstance(cause, errors.NetworkError)
    assert cause.method == "POST"
    assert cause.maybe_sent
    # the service created one profile whose answer was lost; no second one was made
    assert requests_seen(emulator)["create_profile"] == 1
    assert created(emulator) == 1
    record = make_client().saved_record()  # only the intent: no token was saved
    assert record is not None
    assert record.intent is not None
    assert not record.access_token


def test_create_is_not_retried_on_503(make_client: MakeClient, emulator: Emulator) -> None:
    emulator.inject("create_profile", status=503)
    with pytest.raises(errors.CreateInDoubtError) as caught:  # a 503 may come after the work
        make_client().init()
    assert isinstance(caught.value.__cause__, errors.ServiceError)
    assert requests_seen(emulator)["create_profile"] == 1


def test_unknown_client_id(emulator: Emulator) -> None:
    with Emulator(client_ids=["known-client"]) as restricted:
        with pytest.raises(errors.UnknownClientIdError) as caught:
            livelike.init("unknown-client", api_url=restricted.url)
        assert caught.value.status == 404
        assert "unknown-client" in str(caught.value)
        assert restricted.stats()["profiles_created_total"] == 0
        assert livelike.init("known-client", api_url=restricted.url).source == "created"


def test_create_false_raises_without_creating(emulator: Emulator) -> None:
    with pytest.raises(errors.NoSavedProfileError):
        livelike.init(CLIENT_ID, create=False)
    assert created(emulator) == 0
    assert requests_seen(emulator) == {}


def test_env_token_is_used_for_the_default_subject(
    make_client: MakeClient, emulator: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = make_client().create_user_profile()
    monkeypatch.setenv("LIVELIKE_ACCESS_TOKEN", str(given.access_token))
    profile = livelike.init(CLIENT_ID)
    assert profile.id == given.id
    assert profile.source == "saved"
    assert created(emulator) == 1  # only the create above


def test_rejected_env_token_raises_instead_of_recreating_forever(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVELIKE_ACCESS_TOKEN", "stale-token")
    with pytest.raises(errors.InvalidAccessTokenError, match="read-only"):
        livelike.init(CLIENT_ID)
    assert created(emulator) == 0


def test_storage_failure_creates_nothing(emulator: Emulator, home: Path) -> None:
    tokens = home / "tokens"
    tokens.mkdir(parents=True)
    bad = FileBackend(home).path_for(emulator_key(emulator))
    bad.write_text("{ torn", encoding="utf-8")
    with pytest.raises(errors.StorageError) as caught:
        livelike.init(CLIENT_ID)
    assert str(bad) in str(caught.value)
    assert "livelike token forget" in str(caught.value)
    assert created(emulator) == 0
    assert bad.read_text(encoding="utf-8") == "{ torn"


def test_no_persistent_storage_refuses_to_create(emulator: Emulator) -> None:
    with pytest.raises(errors.StorageError, match="refusing to create"):
        livelike.init(CLIENT_ID, storage="env")
    assert created(emulator) == 0


def test_memory_storage_chosen_explicitly_with_ephemeral(emulator: Emulator, home: Path) -> None:
    first = livelike.init(CLIENT_ID, storage="memory", ephemeral=True)
    second = livelike.init(CLIENT_ID, storage="memory")
    assert first.id == second.id
    assert not (home / "tokens").exists()


def test_save_failure_hands_back_the_new_profile(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    class Unsaveable(FileBackend):
        """The intent is written, then the disk fills up before the token is saved."""

        def put(self, key: StorageKey, record: livelike.TokenRecord) -> None:
            if record.intent is None:
                raise OSError("disk full")
            super().put(key, record)

    with pytest.raises(errors.ProfileNotSavedError) as caught:
        make_client(storage=Unsaveable(home)).init()
    assert caught.value.profile.access_token
    assert caught.value.profile.source == "created"
    assert caught.value.profile.access_token not in str(caught.value)
    assert created(emulator) == 1


def test_threads_sharing_a_client_create_one_profile(
    make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client()
    ids: list[str] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        ids.append(client.init().id)

    run_threads(worker, 16)
    assert len(ids) == 16
    assert len(set(ids)) == 1
    assert created(emulator) == 1


def test_processes_starting_together_create_one_profile(emulator: Emulator, home: Path) -> None:
    env = {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
    outputs = run_together(INIT_AND_PRINT.format(client=CLIENT_ID), [env] * 16)
    ids = {out.split()[0] for out, _ in outputs}
    assert len(ids) == 1
    assert created(emulator) == 1


def test_saved_file_is_private(emulator: Emulator, home: Path) -> None:
    livelike.init(CLIENT_ID)
    tokens = home / "tokens"
    files = list(tokens.iterdir())
    assert len(files) == 1
    assert files[0].stat().st_mode & 0o777 == 0o600
    assert tokens.stat().st_mode & 0o777 == 0o700
    assert json.loads(files[0].read_text())["key"]["client_id"] == CLIENT_ID

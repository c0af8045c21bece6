"""init(max_age=...): recently validated snapshots answer with no request, saves invalidate them."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path

import pytest

import livelike
from livelike import errors
from livelike._recent import RecentSnapshots, Snapshot
from livelike.backends.file import FileBackend
from livelike.emulator import Emulator
from livelike.storage import StorageKey, TokenRecord, utcnow
from tests.conftest import CLIENT_ID, MakeClient, created, emulator_key, requests_seen, run_threads


class CountingFile(FileBackend):
    """The file backend, counting every read and write the SDK makes."""

    def __init__(self, home: Path) -> None:
        super().__init__(home)
        self.gets = 0
        self.puts = 0

    def get(self, key: StorageKey) -> TokenRecord | None:
        self.gets += 1
        return super().get(key)

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        self.puts += 1
        super().put(key, record)


def test_fifty_hot_inits_make_no_request_and_touch_storage_at_most_once(
    emulator: Emulator, make_client: MakeClient, home: Path
) -> None:
    backend = CountingFile(home)
    client = make_client(storage=[backend])
    first = client.init(subject="user-1")
    validated = client.init(subject="user-1")
    assert validated.source == "saved"
    emulator.reset()
    backend.gets = backend.puts = 0
    answers = [client.init(subject="user-1", max_age=600) for _ in range(50)]
    assert requests_seen(emulator) == {}
    assert backend.gets <= 1
    assert backend.puts == 0
    assert {p.source for p in answers} == {"cached"}
    assert {(p.id, p.access_token) for p in answers} == {(first.id, first.access_token)}
    assert created(emulator) == 0


def test_hot_inits_from_many_threads_make_no_request(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client()
    expected = client.init(subject="user-2").id
    client.init(subject="user-2")
    emulator.reset()
    seen: list[str] = []

    def work() -> None:
        for _ in range(25):
            seen.append(client.init(subject="user-2", max_age=600).id)

    run_threads(work, 8)
    assert seen == [expected] * 200
    assert requests_seen(emulator) == {}


def test_max_age_zero_validates_as_today(emulator: Emulator, make_client: MakeClient) -> None:
    client = make_client()
    client.init()
    emulator.reset()
    profile = client.init(max_age=0)
    assert profile.source == "saved"
    assert requests_seen(emulator) == {"get_profile": 1}


def test_given_token_invalidates_the_hot_snapshot(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client()
    client.init(subject="user-3")
    other = make_client().create_user_profile()
    client.init(subject="user-3", max_age=600)
    client.init(other.access_token, subject="user-3")
    emulator.reset()
    profile = client.init(subject="user-3", max_age=600)
    assert (profile.id, profile.access_token) == (other.id, other.access_token)
    assert requests_seen(emulator) == {}  # the given token's snapshot was validated just now


def test_rejected_token_replaced_by_another_client_invalidates(
    emulator: Emulator, make_client: MakeClient
) -> None:
    hot, other = make_client(), make_client()
    old = hot.init(subject="user-4")
    assert hot.init(subject="user-4", max_age=600).access_token == old.access_token
    emulator.inject("get_profile", status=401, times=1)
    replaced = other.init(subject="user-4")
    assert replaced.source == "created"
    profile = hot.init(subject="user-4", max_age=600)
    assert profile.access_token == replaced.access_token != old.access_token
    assert created(emulator) == 2


def test_an_old_snapshot_is_validated_and_its_age_refreshed(
    emulator: Emulator, make_client: MakeClient, home: Path
) -> None:
    make_client().init()
    key = emulator_key(emulator)
    files = FileBackend(home)
    record = files.get(key)
    assert record is not None
    assert record.profile is not None
    hour_ago = utcnow() - timedelta(hours=1)
    files.put(key, record.with_snapshot(record.profile, hour_ago))
    emulator.reset()
    profile = make_client().init(max_age=600)
    assert profile.source == "saved"
    assert requests_seen(emulator) == {"get_profile": 1}
    refreshed = files.get(key)
    assert refreshed is not None
    assert refreshed.fetched_at is not None
    assert refreshed.fetched_at > hour_ago
    emulator.reset()
    again = make_client().init(max_age=600)  # a new client: from storage, no request
    assert again.source == "cached"
    assert requests_seen(emulator) == {}


def test_a_naive_snapshot_time_is_read_as_utc(
    emulator: Emulator, make_client: MakeClient, home: Path
) -> None:
    make_client().init()
    path = FileBackend(home).path_for(emulator_key(emulator))
    data = json.loads(path.read_text())
    naive = utcnow().replace(tzinfo=None).isoformat()  # hand-edited, or from a database
    data["record"]["fetched_at"] = data["record"]["saved_at"] = naive
    path.write_text(json.dumps(data))
    emulator.reset()
    profile = make_client().init(max_age=600)  # a new client: from storage
    assert profile.source == "cached"
    assert profile.fetched_at is not None
    assert profile.fetched_at.tzinfo is not None
    assert requests_seen(emulator) == {}
    assert created(emulator) == 0


@pytest.mark.parametrize("value", [-1, -0.5, math.nan, True, False, "600", None])
def test_bad_max_age_is_refused_before_any_request(
    emulator: Emulator, make_client: MakeClient, value: object
) -> None:
    client = make_client()
    with pytest.raises(errors.InvalidArgumentError, match="max_age"):
        client.init(max_age=value)  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidArgumentError, match="max_age"):
        livelike.init(CLIENT_ID, max_age=value)  # type: ignore[arg-type]
    assert requests_seen(emulator) == {}


def test_the_recent_snapshots_are_bounded_least_recently_used_first_out() -> None:
    cache = RecentSnapshots(size=2)
    keys = [StorageKey("https://api", "c", f"s{i}") for i in range(3)]
    for key in keys[:2]:
        assert cache.put(key, Snapshot("t", {"id": key.subject}, utcnow()))
    assert cache.get(keys[0]) is not None  # now the most recently used
    cache.put(keys[2], Snapshot("t", {"id": "s2"}, utcnow()))
    assert len(cache) == 2
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) is not None

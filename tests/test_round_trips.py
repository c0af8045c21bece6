"""Round trips: the config cache, the profile snapshot and init(validate=False)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import livelike
from livelike import errors
from livelike.emulator import Emulator
from tests.conftest import CLIENT_ID, MakeClient, created, requests_seen


def cache_file(home: Path) -> Path:
    (path,) = (home / "cache").glob("app-*.json")
    return path


def test_cold_warm_and_unvalidated_request_counts(emulator: Emulator) -> None:
    livelike.init(CLIENT_ID)
    assert requests_seen(emulator) == {"config": 1, "create_profile": 1}
    emulator.reset()
    assert livelike.init(CLIENT_ID).source == "saved"
    assert requests_seen(emulator) == {"get_profile": 1}
    emulator.reset()
    cached = livelike.init(CLIENT_ID, validate=False)
    assert cached.source == "cached"
    assert requests_seen(emulator) == {}


def test_unvalidated_init_returns_the_snapshot_with_its_age(emulator: Emulator) -> None:
    before = datetime.now(timezone.utc)
    first = livelike.init(CLIENT_ID)
    livelike.update_user_profile(nickname="Snapshot")
    cached = livelike.init(CLIENT_ID, validate=False)
    assert cached.id == first.id
    assert cached.nickname == "Snapshot"  # refreshed by the update
    assert cached.access_token == first.access_token
    assert cached.fetched_at is not None
    assert before <= cached.fetched_at <= datetime.now(timezone.utc)
    assert cached == livelike.get_user_profile()


def test_unvalidated_init_creates_only_when_nothing_is_saved(emulator: Emulator) -> None:
    created_profile = livelike.init(CLIENT_ID, validate=False)
    assert created_profile.source == "created"
    assert created(emulator) == 1


def test_a_stale_config_is_fetched_again(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    make_client().init()
    path = cache_file(home)
    entry = json.loads(path.read_text())
    entry["fetched_at"] -= 7200
    path.write_text(json.dumps(entry))
    emulator.reset()
    make_client().init()
    assert requests_seen(emulator) == {"config": 1, "get_profile": 1}
    emulator.reset()
    make_client(config_ttl=0).init()
    assert requests_seen(emulator) == {"config": 1, "get_profile": 1}


def test_a_cached_config_that_stopped_working_is_refetched_once(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    first = make_client().init()
    path = cache_file(home)
    entry = json.loads(path.read_text())
    entry["config"]["profile_url"] = entry["config"]["profile_url"].replace("/profile/", "/moved/")
    path.write_text(json.dumps(entry))
    emulator.reset()
    assert make_client().init().id == first.id
    assert requests_seen(emulator) == {"other": 1, "config": 1, "get_profile": 1}
    assert "/moved/" not in cache_file(home).read_text()
    assert created(emulator) == 0


def test_a_fresh_config_404_is_not_refetched_in_a_loop(
    make_client: MakeClient, emulator: Emulator
) -> None:
    make_client().init()
    emulator.inject("get_profile", status=404, times=5)
    with pytest.raises(errors.NotFoundError):
        make_client(config_ttl=0).init()
    assert created(emulator) == 1


def test_a_corrupt_cache_is_ignored(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    make_client().init()
    cache_file(home).write_text("{broken")
    emulator.reset()
    assert make_client().init().source == "saved"
    assert requests_seen(emulator) == {"config": 1, "get_profile": 1}


def test_an_insecure_cached_profile_url_is_not_used(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    make_client().init()
    path = cache_file(home)
    entry = json.loads(path.read_text())
    entry["config"]["profile_url"] = "http://attacker.example/profile/"
    path.write_text(json.dumps(entry))
    emulator.reset()
    assert make_client().init().source == "saved"
    assert requests_seen(emulator) == {"config": 1, "get_profile": 1}


def test_snapshot_is_not_rewritten_when_nothing_changed(emulator: Emulator, home: Path) -> None:
    livelike.init(CLIENT_ID)
    (token_file,) = (home / "tokens").glob("*.json")
    written = token_file.stat().st_mtime_ns
    livelike.init(CLIENT_ID)
    assert token_file.stat().st_mtime_ns == written
    snapshot = json.loads(token_file.read_text())["record"]["profile"]
    assert "access_token" not in snapshot


def test_snapshot_age_survives_a_round_trip(emulator: Emulator) -> None:
    livelike.init(CLIENT_ID)
    record = livelike.LiveLike(CLIENT_ID).saved_record()
    assert record is not None
    assert record.fetched_at is not None
    assert datetime.now(timezone.utc) - record.fetched_at < timedelta(minutes=1)

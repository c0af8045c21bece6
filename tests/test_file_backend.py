"""The file backend: round trips, private modes, atomic writes, corrupt and read-only folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import livelike
from livelike import errors
from livelike.backends.file import FileBackend, default_home
from livelike.emulator import Emulator
from livelike.storage import StorageKey, TokenRecord
from tests.conftest import CLIENT_ID, created

KEY = StorageKey("https://api.example", "client", "default")


def test_round_trip_with_history(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    assert backend.get(KEY) is None
    first = TokenRecord("token-one", "profile-one")
    backend.put(KEY, first)
    assert backend.get(KEY) == first
    second = first.replaced_by("token-two", "profile-two", "replaced")
    backend.put(KEY, second)
    loaded = backend.get(KEY)
    assert loaded == second
    assert loaded is not None
    assert [old.access_token for old in loaded.history] == ["token-one"]
    assert list(backend.keys()) == [KEY]


def test_saving_the_same_token_keeps_history_unchanged() -> None:
    record = TokenRecord("a", "p").replaced_by("b", "q", "replaced")
    again = record.replaced_by("b", "q", "replaced")
    assert again.history == record.history


@pytest.mark.parametrize("subject", ["../../etc/passwd", "a/b\\c", "ünïcødé 🎉", "x" * 1000])
def test_hostile_subjects_stay_inside_the_folder(tmp_path: Path, subject: str) -> None:
    backend = FileBackend(tmp_path / "home")
    key = StorageKey("https://api.example", "client", subject)
    backend.put(key, TokenRecord("tok", None))
    assert backend.get(key) == TokenRecord("tok", None, backend.get(key).saved_at)  # type: ignore[union-attr]
    assert [p.parent for p in (tmp_path / "home").rglob("*.json")] == [tmp_path / "home" / "tokens"]
    assert list(backend.keys()) == [key]


def test_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    for n in range(5):
        backend.put(KEY, TokenRecord(f"token-{n}"))
    assert [p.name for p in (tmp_path / "tokens").iterdir()] == [f"{KEY.digest}.json"]


def test_corrupt_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    backend.put(KEY, TokenRecord("tok"))
    path = backend.path_for(KEY)
    for content in ("", "{", "[]", json.dumps({"format": 1, "key": KEY.as_dict(), "record": {}})):
        path.write_text(content)
        with pytest.raises(errors.StorageError, match="corrupt token file") as caught:
            backend.get(KEY)
        assert str(path) in str(caught.value)
        assert path.read_text() == content


def test_file_for_another_key_is_refused(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    other = StorageKey("https://api.example", "client", "other")
    backend.put(other, TokenRecord("tok"))
    os.replace(backend.path_for(other), backend.path_for(KEY))
    with pytest.raises(errors.StorageError, match="another key"):
        backend.get(KEY)


def test_unreadable_path_is_unavailable_not_absent(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    backend.put(KEY, TokenRecord("tok"))
    path = backend.path_for(KEY)
    path.unlink()
    path.mkdir()  # a folder where the file should be: reading fails even as root
    with pytest.raises(errors.StorageError, match=str(path)):
        backend.get(KEY)


def test_read_only_home_refuses_to_create(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A regular file where the folder should be: nothing can be written under it, even as root.
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    monkeypatch.setenv("LIVELIKE_HOME", str(blocked / "home"))
    with pytest.raises(errors.StorageError) as caught:
        livelike.init(CLIENT_ID)
    assert str(blocked) in str(caught.value)
    assert created(emulator) == 0


def test_default_home_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVELIKE_HOME", str(tmp_path / "x"))
    assert default_home() == tmp_path / "x"
    monkeypatch.delenv("LIVELIKE_HOME")
    assert default_home().name == "livelike"


def test_delete_moves_the_file_aside(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    backend.put(KEY, TokenRecord("tok"))
    assert backend.delete(KEY) is True
    assert backend.get(KEY) is None
    assert backend.delete(KEY) is False
    (kept,) = (tmp_path / "forgotten").iterdir()
    assert json.loads(kept.read_text())["record"]["access_token"] == "tok"
    assert kept.stat().st_mode & 0o777 == 0o600


def test_stale_temporary_files_of_killed_writers_are_removed(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    backend.put(KEY, TokenRecord("tok"))
    path = backend.path_for(KEY)
    stale = path.with_name(f".{path.name}.dead01.tmp")
    fresh = path.with_name(f".{path.name}.live01.tmp")
    stale.write_text("{half")
    fresh.write_text("{half")
    os.utime(stale, (0, 0))
    backend.put(KEY, TokenRecord("tok2"))
    assert not stale.exists()
    assert fresh.exists()  # it may belong to a writer still at work

"""Loose homes and token files: refused or tightened, and only what livelike created is chmodded."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from livelike import errors
from livelike.backends.file import FileBackend
from livelike.emulator import Emulator
from tests.conftest import MakeClient, created, emulator_key, requests_seen


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("loose", "shown"), [(0o1777, "mode 1777"), (0o775, "mode 775")])
def test_a_home_others_can_write_is_refused_and_left_as_it_is(
    make_client: MakeClient,
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    loose: int,
    shown: str,
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(loose)
    monkeypatch.setenv("LIVELIKE_HOME", str(shared))
    with pytest.raises(errors.StorageError, match=f"others can write to it \\({shown}\\)") as err:
        make_client(storage="file").init()
    assert str(shared) in str(err.value)
    assert "livelike changes the mode only of folders it created" in str(err.value)
    assert mode(shared) == loose
    assert created(emulator) == 0
    assert "create_profile" not in requests_seen(emulator)


def test_a_home_the_user_made_keeps_its_mode_and_tokens_stay_private(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    make_client(storage="file").init()
    assert mode(home) == 0o755
    assert mode(home / "tokens") == 0o700
    assert [mode(f) for f in (home / "tokens").iterdir()] == [0o600]


def test_folders_livelike_creates_are_0700_up_from_the_first_existing_one(
    make_client: MakeClient, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = tmp_path / "a" / "b" / "home"
    monkeypatch.setenv("LIVELIKE_HOME", str(nested))
    old = os.umask(0o022)  # the usual umask: a plain mkdir would give 0755
    try:
        make_client(storage="file").init()
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", nested, nested / "tokens"):
        assert mode(folder) == 0o700, folder


def test_a_token_file_open_to_others_is_tightened_with_a_warning(
    make_client: MakeClient, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_client(storage="file").init()
    path = FileBackend().path_for(emulator_key(emulator))
    path.chmod(0o644)
    again = make_client(storage="file").init()
    assert again.id == first.id
    assert mode(path) == 0o600
    assert f"the token file {path} was open to other users (mode 644)" in caplog.text
    assert created(emulator) == 1


def _give_away(path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Make ``path`` another user's: chown as root, else make this process look like another."""
    if os.getuid() == 0:
        os.chown(path, 4242, 4242)
        return 4242
    me = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: me + 1)
    return me


def test_a_token_file_owned_by_another_user_is_refused(
    make_client: MakeClient,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = str(make_client(storage="file").init().access_token)
    path = FileBackend().path_for(emulator_key(emulator))
    owner = _give_away(path, monkeypatch)
    emulator.reset()
    with pytest.raises(errors.StorageError, match="owned by another user") as err:
        make_client(storage="file").init()
    assert f"{path} is owned by another user (uid {owner})" in str(err.value)
    assert requests_seen(emulator) == {}
    assert json.loads(path.read_text())["record"]["access_token"] == token
    assert token not in caplog.text

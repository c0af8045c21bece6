"""The Windows branch of the file backend, run here by patching ``sys.platform``.

On Windows ``os.open`` of a folder fails (``PermissionError``); the patched
``os.open`` below does the same, so the save path Windows takes is the one tested.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from livelike.backends.file import FileBackend
from livelike.emulator import Emulator
from tests.conftest import MakeClient, created, emulator_key


def open_like_windows(opened_folders: list[str]) -> Callable[..., int]:
    real_open = os.open

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.path.isdir(path):
            opened_folders.append(str(path))
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    return fake_open


def test_on_windows_a_save_does_not_open_the_folder(
    make_client: MakeClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import filelock  # noqa: F401 - imported on this platform, before the patch

    opened: list[str] = []
    client = make_client(storage="file")
    with monkeypatch.context() as windows:
        windows.setattr(sys, "platform", "win32")
        windows.setattr(os, "open", open_like_windows(opened))
        profile = client.init()
    assert opened == []
    record = FileBackend().get(emulator_key(emulator))
    assert record is not None
    assert record.access_token == profile.access_token
    assert created(emulator) == 1


def test_elsewhere_the_folder_is_still_synced(
    make_client: MakeClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    folders: list[str] = []
    real_open = os.open

    def recording_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.path.isdir(path):
            folders.append(str(path))
        return real_open(path, flags, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(os, "open", recording_open)
        make_client(storage="file").init()
    assert str(home / "tokens") in folders

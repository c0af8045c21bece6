"""The keyring backend inside the SDK: discovery, no usable keyring, unavailable, hung."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest
import test_keyring_support as support
from keyring.backends import fail
from livelike_keyring import KeyringBackend

import livelike
from livelike import _plugins
from livelike.backends.file import FileBackend
from livelike.emulator import Emulator
from livelike.errors import StorageError
from livelike.storage import StorageKey

_INIT_IN_A_PROCESS = """
import json, sys
import livelike
from livelike import _plugins

profile = livelike.init(sys.argv[1], api_url=sys.argv[2])
registry = _plugins.registry()
print(json.dumps({
    "id": profile.id,
    "source": profile.source,
    "owner": registry.owners.get("keyring"),
    "backend": type(registry.backends.get("keyring")).__name__,
}))
"""


def key_for(client: livelike.LiveLike, subject: str = "default") -> StorageKey:
    return StorageKey(client.api_origin, client.client_id, subject)


def test_the_entry_point_registers_the_backend() -> None:
    registry = _plugins.registry()
    assert isinstance(registry.backends["keyring"], KeyringBackend)
    assert registry.owners["keyring"] == "keyring"


def test_default_storage_saves_to_the_keyring_across_processes(
    livelike_emulator: Emulator,
) -> None:
    env = {**os.environ, **support.subprocess_env()}
    runs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", _INIT_IN_A_PROCESS, "discovered", livelike_emulator.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    assert [run["source"] for run in runs] == ["created", "saved"]
    assert runs[0]["id"] == runs[1]["id"]
    assert runs[0]["owner"] == "keyring"
    assert runs[0]["backend"] == "KeyringBackend"
    assert livelike_emulator.stats()["profiles_created"]["discovered"] == 1
    with livelike.LiveLike("discovered", api_url=livelike_emulator.url) as client:
        key = key_for(client)
    saved = KeyringBackend().get(key)
    assert saved is not None
    assert saved.profile_id == runs[0]["id"]
    assert FileBackend().get(key) is None
    assert list(KeyringBackend().keys()) == [key]


def test_without_a_usable_keyring_default_storage_uses_files(
    livelike_emulator: Emulator, isolated: Path
) -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(StorageError, match="no usable keyring"):
        KeyringBackend().probe()
    with livelike.LiveLike("no-keyring", api_url=livelike_emulator.url) as client:
        created = client.init()
        assert client.init().id == created.id
        key = key_for(client)
    saved = FileBackend().get(key)
    assert saved is not None
    assert saved.profile_id == created.id
    assert livelike_emulator.stats()["profiles_created_total"] == 1


def test_an_unavailable_keyring_creates_no_profile(livelike_emulator: Emulator) -> None:
    keyring.set_keyring(support.LockedKeyring())
    with (
        livelike.LiveLike(
            "locked", api_url=livelike_emulator.url, storage=["keyring", "file"]
        ) as client,
        pytest.raises(StorageError, match="collection is locked") as caught,
    ):
        client.init()
    assert caught.value.backend == "keyring"
    assert livelike_emulator.stats()["profiles_created_total"] == 0


def test_a_hung_keyring_creates_no_profile(
    livelike_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(support.HangingKeyring())
    monkeypatch.setenv("LIVELIKE_KEYRING_TIMEOUT", "0.3")
    started = time.monotonic()
    with (
        livelike.LiveLike(
            "hung", api_url=livelike_emulator.url, storage=["keyring", "file"]
        ) as client,
        pytest.raises(StorageError, match=r"did not answer within 0\.3s") as caught,
    ):
        client.init()
    assert time.monotonic() - started < 2
    assert caught.value.backend == "keyring"
    assert livelike_emulator.stats()["profiles_created_total"] == 0

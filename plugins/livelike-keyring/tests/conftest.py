"""Each test runs with its own LIVELIKE_HOME, test keyring and (absent) config file,
and no LIVELIKE_* settings from outside.

The ``livelike_emulator`` fixture comes from livelike's pytest plugin.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
import test_keyring_support as support

from livelike import _api, _plugins
from livelike.emulator import Emulator


@pytest.fixture(autouse=True)
def isolated(
    livelike_isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Fresh LIVELIKE_HOME (livelike's ``livelike_isolated``) and test keyring; the
    previous keyring is restored afterwards."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    home = livelike_isolated
    monkeypatch.setenv(support.DIR_VARIABLE, str(tmp_path / "keyring"))
    monkeypatch.setenv(support.LOCK_DIR_VARIABLE, str(tmp_path / "keyring-locks"))
    # Recorded as it is (even None, "not chosen yet"), restored after the test.
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(support.FolderKeyring())
    support.RELEASE.clear()
    support.RecordingKeyring.calls.clear()
    _plugins.reset_registry()
    yield home
    support.RELEASE.set()  # let calls a test keyring held up finish before the next test
    for thread in threading.enumerate():
        if thread.name == "livelike-keyring":
            thread.join(timeout=5)
    _api.reset()
    _plugins.reset_registry()


@pytest.fixture
def livelike_emulator(livelike_emulator: Emulator) -> Emulator:
    """livelike's emulator fixture, serving the client ids these tests use."""
    livelike_emulator.add_client("discovered", "no-keyring", "locked", "hung")
    return livelike_emulator

"""The built-in backends pass the contract suite shipped in livelike.testing."""

from __future__ import annotations

from pathlib import Path

import pytest

from livelike.backends.env import EnvBackend
from livelike.backends.file import FileBackend
from livelike.backends.memory import MemoryBackend
from livelike.storage import StorageBackend, StorageKey, TokenRecord
from livelike.testing import BackendContract, ReadOnlyBackendContract


class TestFileBackend(BackendContract):
    factory = "livelike.backends.file:FileBackend"

    @pytest.fixture(autouse=True)
    def _home(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.home = tmp_path / "contract-home"
        monkeypatch.setenv("LIVELIKE_HOME", str(self.home))

    def make_backend(self) -> StorageBackend:
        return FileBackend(self.home)

    def subprocess_env(self) -> dict[str, str]:
        return {"LIVELIKE_HOME": str(self.home)}


class TestMemoryBackend(BackendContract):
    cannot_be_unreachable = "process memory cannot become unreachable"

    def make_backend(self) -> StorageBackend:
        return MemoryBackend()


class TestEnvBackend(ReadOnlyBackendContract):
    cannot_be_unreachable = "the process environment cannot become unreachable"

    @pytest.fixture(autouse=True)
    def _environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def make_backend(self) -> StorageBackend:
        return EnvBackend()

    def seed(self, backend: StorageBackend, key: StorageKey, record: TokenRecord) -> None:
        self.monkeypatch.setenv("LIVELIKE_ACCESS_TOKEN", record.access_token)

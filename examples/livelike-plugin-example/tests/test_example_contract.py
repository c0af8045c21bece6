"""The example backend passes livelike's contract suite: this is all a plugin author writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from livelike_example_store import DirectoryBackend

from livelike.storage import StorageBackend
from livelike.testing import BackendContract


class TestDirectoryBackend(BackendContract):
    factory = "livelike_example_store:DirectoryBackend"

    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = tmp_path / "example"
        monkeypatch.setenv("LIVELIKE_EXAMPLE_DIR", str(self.folder))
        monkeypatch.setenv("LIVELIKE_HOME", str(tmp_path / "home"))

    def make_backend(self) -> StorageBackend:
        return DirectoryBackend(self.folder)

    def subprocess_env(self) -> dict[str, str]:
        return {"LIVELIKE_EXAMPLE_DIR": str(self.folder), "LIVELIKE_HOME": str(self.folder.parent)}

"""The keyring backend passes livelike's storage backend contract, on a real (test) keyring."""

from __future__ import annotations

import test_keyring_support as support

from livelike.storage import StorageBackend
from livelike.testing import BackendContract


class TestKeyringBackend(BackendContract):
    factory = "test_keyring_support:make_backend"

    def make_backend(self) -> StorageBackend:
        return support.make_backend()

    def subprocess_env(self) -> dict[str, str]:
        return support.subprocess_env()

"""The storage backend contract suite (see :mod:`livelike.testing`)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from livelike._client import LiveLike
from livelike.storage import StorageBackend, StorageKey, TokenRecord

ORIGIN = "https://contract.example"
KEY = StorageKey(ORIGIN, "contract-client", "default")
HOSTILE_SUBJECTS = (
    "../../../etc/passwd",
    "a/b\\c:d*e?f",
    "..",
    "ünïcødé 用户 🎉",
    "x" * 1000,
    "with\ttab",
    "' OR 1=1; --",
)

_PROCESS_INIT = """
import importlib, sys
import livelike
module, _, name = sys.argv[1].partition(":")
backend = getattr(importlib.import_module(module), name)()
client = livelike.LiveLike(sys.argv[2], api_url=sys.argv[3], storage=[backend])
print(client.init(subject=sys.argv[4]).id)
"""


class ReadOnlyBackendContract:
    """Contract tests every backend passes, read-only ones included.

    Subclasses implement :meth:`make_backend` and :meth:`seed`.
    """

    def make_backend(self) -> StorageBackend:
        """Return the backend under test (a fresh, empty one)."""
        raise NotImplementedError

    def seed(self, backend: StorageBackend, key: StorageKey, record: TokenRecord) -> None:
        """Make ``record`` readable under ``key`` (writable backends: ``put``)."""
        backend.put(key, record)

    def close_backend(self, backend: StorageBackend) -> None:
        """Release what :meth:`make_backend` opened (default: nothing)."""

    @pytest.fixture
    def backend(self) -> Iterator[StorageBackend]:
        """The backend under test, closed after the test."""
        made = self.make_backend()
        yield made
        self.close_backend(made)

    def test_has_a_name_and_flags(self, backend: StorageBackend) -> None:
        assert isinstance(backend.name, str)
        assert backend.name
        assert backend.name != "unnamed"
        assert isinstance(backend.writable, bool)
        assert isinstance(backend.persistent, bool)
        assert isinstance(backend.priority, int)

    def test_is_viable_here(self, backend: StorageBackend) -> None:
        backend.probe()

    def test_missing_key_is_absent(self, backend: StorageBackend) -> None:
        assert backend.get(StorageKey(ORIGIN, "contract-client", "nobody-saved-this")) is None

    def test_seeded_record_is_found(self, backend: StorageBackend) -> None:
        self.seed(backend, KEY, TokenRecord("contract-token-1", "profile-1"))
        found = backend.get(KEY)
        assert found is not None
        assert found.access_token == "contract-token-1"

    def test_repr_never_shows_the_token(self, backend: StorageBackend) -> None:
        self.seed(backend, KEY, TokenRecord("contract-secret-token", "profile-1"))
        found = backend.get(KEY)
        assert "contract-secret-token" not in repr(backend)
        assert "contract-secret-token" not in backend.describe()
        assert "contract-secret-token" not in repr(found)


class BackendContract(ReadOnlyBackendContract):
    """The full contract for writable backends.

    Attributes:
        factory: ``"module:callable"`` returning the backend in a fresh
            process, configured the same way (through the environment); it
            is needed for the test across processes of persistent backends.
        processes: how many processes race in that test.
    """

    factory: ClassVar[str | None] = None
    processes: ClassVar[int] = 6

    def subprocess_env(self) -> dict[str, str]:
        """Environment for the processes of the cross-process test."""
        return {}

    def test_is_writable(self, backend: StorageBackend) -> None:
        assert backend.writable

    def test_round_trip_keeps_every_field(self, backend: StorageBackend) -> None:
        record = TokenRecord("token-a", "profile-a").replaced_by("token-b", "profile-b", "rejected")
        backend.put(KEY, record)
        assert backend.get(KEY) == record

    def test_overwrite_replaces(self, backend: StorageBackend) -> None:
        backend.put(KEY, TokenRecord("token-a", "profile-a"))
        backend.put(KEY, TokenRecord("token-b", "profile-b"))
        found = backend.get(KEY)
        assert found is not None
        assert (found.access_token, found.profile_id) == ("token-b", "profile-b")

    def test_delete(self, backend: StorageBackend) -> None:
        backend.put(KEY, TokenRecord("token-a"))
        assert backend.delete(KEY) is True
        assert backend.get(KEY) is None
        assert backend.delete(KEY) is False

    @pytest.mark.parametrize(
        "other",
        [
            StorageKey("https://other-origin.example", KEY.client_id, KEY.subject),
            StorageKey(ORIGIN, "other-client", KEY.subject),
            StorageKey(ORIGIN, KEY.client_id, "other-subject"),
            StorageKey(ORIGIN + ":8443", KEY.client_id, KEY.subject),
        ],
    )
    def test_keys_are_isolated(self, backend: StorageBackend, other: StorageKey) -> None:
        backend.put(KEY, TokenRecord("token-key"))
        assert backend.get(other) is None
        backend.put(other, TokenRecord("token-other"))
        kept = backend.get(KEY)
        assert kept is not None
        assert kept.access_token == "token-key"
        found = backend.get(other)
        assert found is not None
        assert found.access_token == "token-other"

    @pytest.mark.parametrize("subject", HOSTILE_SUBJECTS)
    def test_unicode_and_hostile_subjects(self, backend: StorageBackend, subject: str) -> None:
        key = StorageKey(ORIGIN, KEY.client_id, subject)
        backend.put(key, TokenRecord("token-hostile", "profile-h"))
        found = backend.get(key)
        assert found is not None
        assert found.access_token == "token-hostile"
        assert backend.get(StorageKey(ORIGIN, KEY.client_id, subject + "x")) is None

    def test_keys_lists_saved_keys(self, backend: StorageBackend) -> None:
        keys = [StorageKey(ORIGIN, KEY.client_id, f"listed-{n}") for n in range(3)]
        for key in keys:
            backend.put(key, TokenRecord("t"))
        listed = set(backend.keys())
        if listed:  # listing is optional; a backend that lists must list them all
            assert set(keys) <= listed

    def test_persists_across_instances(self, backend: StorageBackend) -> None:
        if not backend.persistent:
            pytest.skip(f"{backend.name} does not claim persistence")
        backend.put(KEY, TokenRecord("token-persist", "profile-p"))
        found = self.make_backend_again().get(KEY)
        assert found is not None
        assert found.access_token == "token-persist"

    def make_backend_again(self) -> StorageBackend:
        """A second instance over the same data (default: :meth:`make_backend`)."""
        return self.make_backend()

    def test_lock_is_a_reentrant_safe_context_manager(self, backend: StorageBackend) -> None:
        with backend.lock(KEY):
            backend.put(KEY, TokenRecord("locked"))
        with backend.lock(KEY):
            assert backend.get(KEY) is not None

    def test_get_or_create_from_threads_creates_one(
        self, backend: StorageBackend, livelike_emulator: Any
    ) -> None:
        livelike_emulator.add_client("contract-threads")
        client = LiveLike("contract-threads", api_url=livelike_emulator.url, storage=[backend])
        ids: list[str] = []
        barrier = threading.Barrier(8)

        def worker() -> None:
            barrier.wait()
            ids.append(client.init(subject="threads", ephemeral=not backend.persistent).id)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client.close()
        assert len(ids) == 8
        assert len(set(ids)) == 1
        assert livelike_emulator.stats()["profiles_created"]["contract-threads"] == 1

    def test_get_or_create_from_processes_creates_one(
        self, backend: StorageBackend, livelike_emulator: Any
    ) -> None:
        if not backend.persistent:
            pytest.skip(f"{backend.name} keeps tokens in one process only")
        assert self.factory, "set `factory` so the suite can build the backend in other processes"
        env = {**os.environ, **self.subprocess_env()}
        livelike_emulator.add_client("contract-procs")
        args = [self.factory, "contract-procs", livelike_emulator.url, "processes"]
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _PROCESS_INIT, *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(self.processes)
        ]
        outputs = [p.communicate(timeout=120) for p in procs]
        errors = [err for p, (_, err) in zip(procs, outputs, strict=True) if p.returncode]
        assert not errors, errors[0]
        assert len({out.strip() for out, _ in outputs}) == 1
        assert livelike_emulator.stats()["profiles_created"]["contract-procs"] == 1

"""The storage backend contract suite (see :mod:`livelike.testing`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from livelike._client import LiveLike
from livelike.errors import StorageError
from livelike.storage import StorageBackend, StorageKey, TokenRecord
from livelike.testing import _processes
from livelike.testing._faults import Unreachable

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
SHARED_LOCK_ADVICE = (
    "A store several hosts share needs lock_scope 'shared': a lock kept in the store itself "
    "(a database advisory lock, a lease the holder renews), not a FileLock under "
    "LIVELIKE_HOME or the temporary folder, which only excludes processes of one host."
)


def _outcome(call: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, result) or (False, the exception)."""
    try:
        return True, call()
    except Exception as exc:
        return False, exc


class ReadOnlyBackendContract:
    """Contract tests every backend passes, read-only ones included.

    Subclasses implement :meth:`make_backend` and :meth:`seed`. Every test
    runs in a private ``LIVELIKE_HOME`` and config, with no ``LIVELIKE_*``
    variable from outside (the ``livelike_isolated`` fixture).

    Attributes:
        cannot_be_unreachable: the reason, when the suite can make this
            backend's store unreachable neither through
            :meth:`make_unreachable_backend` nor by refusing sockets and file
            opens (process memory, say). The "unavailable must raise" tests
            are then reported as skipped with it.
    """

    cannot_be_unreachable: ClassVar[str | None] = None

    @pytest.fixture(autouse=True)
    def _livelike_contract_isolation(self, livelike_isolated: Path) -> Path:
        """Every contract test runs under ``livelike_isolated``."""
        return livelike_isolated

    def make_backend(self) -> StorageBackend:
        """Return the backend under test (a fresh, empty one)."""
        raise NotImplementedError

    def make_unreachable_backend(self) -> StorageBackend | None:
        """A backend like the one under test whose store cannot be reached (a wrong
        address, a closed port, a broken file), or None (the default) to let the
        suite make a fresh one unreachable by refusing every socket connection
        and file open while it is used."""
        return None

    def seed(self, backend: StorageBackend, key: StorageKey, record: TokenRecord) -> None:
        """Make ``record`` readable under ``key`` (writable backends: ``put``)."""
        backend.put(key, record)

    def close_backend(self, backend: StorageBackend) -> None:
        """Release what :meth:`make_backend` opened (default: nothing)."""

    def make_backend_again(self) -> StorageBackend:
        """A second instance over the same data (default: :meth:`make_backend`)."""
        return self.make_backend()

    @pytest.fixture
    def backend(self, _livelike_contract_isolation: Path) -> Iterator[StorageBackend]:
        """The backend under test, closed after the test."""
        made = self.make_backend()
        yield made
        self.close_backend(made)

    def check_unreachable(
        self, what: str, operation: Callable[[StorageBackend], Any], reached: Callable[[Any], bool]
    ) -> None:
        """Run ``operation`` on an unreachable store; fail unless it raised StorageError.

        ``reached(result)`` tells whether a result shows the store was reached
        after all (so the fault did not take), rather than an error swallowed.
        """
        given = self.make_unreachable_backend()
        fault = Unreachable() if given is None else None
        if fault is not None:
            with fault:
                target = self.make_backend_again()
                answered, result = _outcome(lambda: operation(target))
        else:
            assert given is not None
            target = given
            answered, result = _outcome(lambda: operation(target))
        self.close_backend(target)
        name = target.name
        if not answered:
            if isinstance(result, StorageError):
                return
            pytest.fail(
                f"{what} on an unreachable store raised {type(result).__name__}: {result}; "
                f"raise livelike.errors.StorageError(..., backend={name!r}) instead, so "
                "livelike reports the store as unavailable"
            )
        if fault is None:
            pytest.fail(
                f"{what} on the backend from make_unreachable_backend() returned {result!r} "
                "instead of raising StorageError: a store that cannot be reached must raise, "
                "never answer 'absent' (livelike would create a duplicate, billed profile)"
            )
        if fault.attempts and not reached(result):
            pytest.fail(
                f"{what} returned {result!r} while {fault.describe()}: the backend swallowed "
                "the error. A store that cannot be reached must raise "
                f"livelike.errors.StorageError(..., backend={name!r}), never answer 'absent' "
                "(livelike would create a duplicate, billed profile)"
            )
        if self.cannot_be_unreachable:
            pytest.skip(f"{name} cannot be made unreachable: {self.cannot_be_unreachable}")
        pytest.fail(
            f"the suite could not make {name!r} unreachable: with {fault.describe()}, "
            f"{what} still reached the store. Give the test class a "
            "make_unreachable_backend() returning a backend whose store cannot be reached "
            "(a closed port, a broken file), or set cannot_be_unreachable = '<why>'"
        )

    def test_unreachable_store_raises_on_get(self, backend: StorageBackend) -> None:
        self.seed(backend, KEY, TokenRecord("contract-token-unreachable", "profile-u"))
        self.check_unreachable("get(key)", lambda b: b.get(KEY), lambda found: found is not None)

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
    hosts: ClassVar[int] = 2
    cannot_list_keys: ClassVar[str | None] = None
    lock_wait: ClassVar[float] = 2.0

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
        if self.cannot_list_keys and not listed:
            pytest.skip(f"{backend.name} cannot list its keys: {self.cannot_list_keys}")
        missing = len(set(keys) - listed)
        assert not missing, (
            f"keys() listed {3 - missing} of the 3 keys just saved: list every saved key "
            "(`livelike token list` and `migrate` rely on it), or set "
            "cannot_list_keys = '<why>' on the test class"
        )

    def test_unreachable_store_raises_on_put(self, backend: StorageBackend) -> None:
        self.check_unreachable(
            "put(key, record)",
            lambda b: b.put(KEY, TokenRecord("contract-token-unsaved")),
            lambda _: False,
        )

    def test_unreachable_store_raises_on_keys(self, backend: StorageBackend) -> None:
        backend.put(KEY, TokenRecord("contract-token-listed"))
        self.check_unreachable("keys()", lambda b: list(b.keys()), lambda keys: KEY in keys)

    def test_persists_across_instances(self, backend: StorageBackend) -> None:
        if not backend.persistent:
            pytest.skip(f"{backend.name} does not claim persistence")
        backend.put(KEY, TokenRecord("token-persist", "profile-p"))
        found = self.make_backend_again().get(KEY)
        assert found is not None
        assert found.access_token == "token-persist"

    def test_lock_is_reentrant_in_one_thread(self, backend: StorageBackend) -> None:
        done = threading.Event()
        failure: list[BaseException] = []

        def nested() -> None:
            try:
                with backend.lock(KEY):
                    backend.put(KEY, TokenRecord("locked"))
                    with backend.lock(KEY):
                        assert backend.get(KEY) is not None
                    assert backend.get(KEY) is not None
            except BaseException as exc:
                failure.append(exc)
            done.set()

        threading.Thread(target=nested, daemon=True).start()
        finished = done.wait(30)
        advice = (
            "lock() must be reentrant in a thread: count nested holds and release the lock "
            "when the outermost one ends"
        )
        assert finished, f"lock(key) taken again by its holder's thread never returned. {advice}"
        assert not failure, f"lock(key) taken again by its thread: {failure[0]!r}. {advice}"
        with backend.lock(KEY):  # and released afterwards
            pass

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

    def _factory_for(self, backend: StorageBackend) -> str:
        if not backend.persistent:
            pytest.skip(f"{backend.name} keeps tokens in one process only")
        assert self.factory, "set `factory` so the suite can build the backend in other processes"
        return self.factory

    def _env(self) -> dict[str, str]:
        return {**os.environ, **self.subprocess_env()}

    def test_get_or_create_from_processes_creates_one(
        self, backend: StorageBackend, livelike_emulator: Any
    ) -> None:
        factory = self._factory_for(backend)
        envs = [self._env()] * self.processes
        livelike_emulator.add_client("contract-procs")
        ids = _processes.init_race(factory, "contract-procs", livelike_emulator.url, "p", envs)
        created = livelike_emulator.stats()["profiles_created"]["contract-procs"]
        assert (len(set(ids)), created) == (1, 1), (
            f"{self.processes} processes sharing one LIVELIKE_HOME created {created} profiles; "
            "exactly one must be: lock(key) must exclude other processes (an OS file lock, "
            "a database advisory lock) and get() must see what another process saved"
        )

    def test_lock_excludes_other_processes_for_the_same_key_only(
        self, backend: StorageBackend
    ) -> None:
        factory = self._factory_for(backend)
        with _processes.workers(factory, [self._env()], ORIGIN, KEY.client_id) as [other]:
            with backend.lock(KEY):
                answer = other.ask("lock other-key")
                assert answer == "locked other-key", (
                    f"lock() of another key in another process did not succeed ({answer}) "
                    "while this process held lock(key): locks of different keys must be "
                    "independent"
                )
                other.ask("unlock other-key")
                other.send(f"lock {KEY.subject}")
                early = other.answer(self.lock_wait)
                assert early is None, (
                    f"another process took lock(key) while this process held it ({early}): "
                    "lock() must exclude every other process doing get-or-create for the key "
                    "(an OS file lock beside the data, a database advisory lock)"
                )
            late = other.answer(120)
            assert late == f"locked {KEY.subject}", (
                "the process waiting for lock(key) did not get it once it was free "
                f"({late}): a waiter must take the lock when the holder releases it"
            )

    def _host_envs(self, folder: Path) -> list[dict[str, str]]:
        return [_processes.host_env(self._env(), folder / f"host-{n}") for n in range(self.hosts)]

    def test_processes_in_separate_homes_over_a_shared_store_create_one_profile(
        self, backend: StorageBackend, livelike_emulator: Any, tmp_path: Path
    ) -> None:
        factory = self._factory_for(backend)
        hosts = self._host_envs(tmp_path / "contract-hosts")
        with _processes.workers(factory, hosts[:2], ORIGIN, KEY.client_id) as [first, second]:
            first.ask("put visible")
            shared = second.ask("get visible") == "found visible"
            if shared:
                first.ask(f"lock {KEY.subject}")
                second.send(f"lock {KEY.subject}")
                early = second.answer(self.lock_wait)
                assert early is None, (
                    "a record saved with one LIVELIKE_HOME is visible with another (the store "
                    "is shared, as between hosts), but lock(key) with the second home did not "
                    f"wait for the holder with the first ({early}); backend.lock_scope is "
                    f"{backend.lock_scope!r}. {SHARED_LOCK_ADVICE}"
                )
                first.ask(f"unlock {KEY.subject}")
                late = second.answer(120)
                assert late == f"locked {KEY.subject}", f"the waiter did not get the lock: {late}"
        envs = [hosts[n % self.hosts] for n in range(self.processes)]
        livelike_emulator.add_client("contract-hosts")
        ids = _processes.init_race(factory, "contract-hosts", livelike_emulator.url, "h", envs)
        created = livelike_emulator.stats()["profiles_created"]["contract-hosts"]
        expected = 1 if shared else self.hosts
        assert (len(set(ids)), created) == (expected, expected), (
            f"{self.processes} processes in {self.hosts} separate LIVELIKE_HOMEs "
            + ("over one shared store" if shared else "(each home its own store)")
            + f" created {created} profiles; {expected} must be. "
            + (SHARED_LOCK_ADVICE if shared else "Processes of one home must share one profile.")
        )

"""The key lock: what get-or-create holds for one key, whatever the storage chain.

Three layers, always taken in this order (so two holders never deadlock):

1. between the threads of this process: one of 256 striped re-entrant locks
   (:mod:`livelike._locks`: a bounded wait, and fresh locks after ``fork()``);
2. between the processes of this host: an OS file lock
   ``$LIVELIKE_HOME/locks/resolve-<key digest>.lock``, taken whatever
   backends were chosen, so a process with ``LIVELIKE_STORAGE=sql`` and one
   with the default chain still exclude each other;
3. the own lock of every writable backend of the chain whose scope is
   ``"host"`` or ``"shared"``, in chain order: a store that processes with
   different homes share (a keyring, a folder elsewhere) is excluded by its own
   lock, and one that several hosts share by its ``"shared"`` lock (a
   PostgreSQL advisory lock, say).

The kernel drops the file lock if its holder dies. The lock is re-entrant in
one thread: a nested hold of the same key takes nothing more.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence

from livelike import _locks
from livelike.errors import InvalidArgumentError, StorageError
from livelike.files import LOCK_TIMEOUT, FileLock, default_home, seconds_setting
from livelike.storage import StorageBackend, StorageKey

__all__ = ["LOCK_TIMEOUT", "hold"]

TIMEOUT_VARIABLE = "LIVELIKE_LOCK_TIMEOUT"
"""Overrides :data:`LOCK_TIMEOUT`, the seconds a caller waits for another process's
host lock before ``StorageError``."""


def _timeout() -> float:
    try:
        return seconds_setting(TIMEOUT_VARIABLE, LOCK_TIMEOUT)
    except ValueError as exc:
        raise InvalidArgumentError(str(exc)) from None


_held = threading.local()


def _held_here() -> set[str]:
    held: set[str] | None = getattr(_held, "keys", None)
    if held is None:
        held = _held.keys = set()
    return held


@contextlib.contextmanager
def hold(key: StorageKey, backends: Sequence[StorageBackend]) -> Iterator[None]:
    """Hold ``key`` against threads, processes and, through the locks of the
    writable ``backends`` (in their order), whoever else sees their stores.

    Raises (on entering):
        StorageError: a lock could not be taken (timeout, unwritable folder,
            a backend's lock failed); nothing was looked up or created.
    """
    held = _held_here()
    if key.digest in held:
        yield
        return
    with _locks.held(key), contextlib.ExitStack() as stack:
        path = default_home() / "locks" / f"resolve-{key.digest}.lock"
        stack.enter_context(FileLock(path, timeout=_timeout(), backend="livelike", what=str(key)))
        for backend in backends:
            if backend.writable and backend.lock_scope != "process":
                _enter_own(stack, key, backend)
        held.add(key.digest)
        try:
            yield
        finally:
            held.discard(key.digest)


def _enter_own(stack: contextlib.ExitStack, key: StorageKey, backend: StorageBackend) -> None:
    try:
        stack.enter_context(backend.lock(key))
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(
            f"storage backend {backend.name!r} could not lock {key}: {exc}", backend=backend.name
        ) from exc

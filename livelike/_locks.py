"""In-process locks for get-or-create: striped by key, bounded, and reset by ``fork()``.

Threads of one process exclude each other per key through one of
:data:`STRIPES` re-entrant locks (the key's digest picks it). A wait is
bounded by :data:`WAIT_TIMEOUT` seconds and ends in
:class:`~livelike.errors.StorageError` rather than hanging.

A child process made by ``os.fork()`` gets fresh locks: a lock a parent
thread held at fork time would otherwise stay held forever in the child,
whose copy has no thread left to release it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from livelike.errors import StorageError
from livelike.storage import StorageKey

STRIPES = 256
WAIT_TIMEOUT = 120.0
"""Seconds a thread waits for another thread's get-or-create of the same key."""


def _fresh() -> tuple[threading.RLock, ...]:
    return tuple(threading.RLock() for _ in range(STRIPES))


_stripes = _fresh()


def _reset_after_fork() -> None:
    global _stripes
    _stripes = _fresh()


os.register_at_fork(after_in_child=_reset_after_fork)


def stripe(key: StorageKey) -> threading.RLock:
    """The in-process lock guarding ``key`` (shared with the keys of its stripe)."""
    return _stripes[int(key.digest[:8], 16) % len(_stripes)]


@contextlib.contextmanager
def held(key: StorageKey) -> Iterator[None]:
    """Hold ``key``'s in-process lock, waiting at most :data:`WAIT_TIMEOUT` seconds.

    Raises:
        StorageError: another thread held it for longer than the wait allowed.
    """
    wait = WAIT_TIMEOUT
    lock = stripe(key)
    if not lock.acquire(timeout=wait):
        raise StorageError(
            f"timed out after {wait:g}s waiting for another thread of this process to "
            f"finish with {key}; nothing was created"
        )
    try:
        yield
    finally:
        lock.release()

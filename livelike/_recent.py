"""The in-process LRU of recently validated profile snapshots, one per storage chain.

``init(subject, max_age=SECONDS)`` answers from here, with no request and no
storage read, when the snapshot of ``subject``'s token was validated by the
service less than ``max_age`` seconds ago. Entries are bounded (least
recently used first out) and guarded by a lock.

Every save for a key in this process (a new token, a replaced one, an intent,
a forget) drops the key from *every* live cache, and bumps a process-wide
epoch: an entry computed before such a save (say, a validation that raced a
replacement) is refused by :meth:`RecentSnapshots.put`, so a stale token is
never served after its replacement was saved. Only :mod:`livelike._chain`
and :mod:`livelike._resolver` use this module.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from livelike.storage import StorageKey

__all__ = ["DEFAULT_SIZE", "RecentSnapshots", "Snapshot", "invalidate", "ticket"]

DEFAULT_SIZE = 4096

_caches: weakref.WeakSet[RecentSnapshots] = weakref.WeakSet()
_epoch_lock = threading.Lock()
_epoch = 0


@attrs.frozen
class Snapshot:
    """A token, the profile the service returned for it, and when it did."""

    access_token: str = attrs.field(repr=False)
    profile: Mapping[str, Any] = attrs.field(repr=False)
    fetched_at: datetime


def ticket() -> int:
    """The current epoch: take it before a lookup, give it to :meth:`RecentSnapshots.put`."""
    return _epoch


def invalidate(key: StorageKey) -> None:
    """Drop ``key`` from every cache in this process (a save for it happened)."""
    global _epoch
    with _epoch_lock:
        _epoch += 1
        caches = list(_caches)
    for cache in caches:
        cache.drop(key)


class RecentSnapshots:
    """A bounded, thread-safe LRU of :class:`Snapshot` per :class:`StorageKey`."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[StorageKey, Snapshot] = OrderedDict()
        self._lock = threading.Lock()
        with _epoch_lock:
            _caches.add(self)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: StorageKey) -> Snapshot | None:
        """The entry for ``key`` (marked as recently used), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: StorageKey, entry: Snapshot, seen: int | None = None) -> bool:
        """Keep ``entry`` for ``key`` unless a save happened since epoch ``seen``.

        Returns whether it was kept.
        """
        with _epoch_lock:
            if seen is not None and seen != _epoch:
                return False
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return True

    def drop(self, key: StorageKey) -> None:
        """Forget ``key``'s entry, if any."""
        with self._lock:
            self._entries.pop(key, None)

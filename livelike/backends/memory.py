"""The ``memory`` backend: tokens that live as long as the process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import ClassVar

from livelike.hookspecs import hookimpl
from livelike.storage import StorageBackend, StorageKey, TokenRecord


class MemoryBackend(StorageBackend):
    """Keeps records in a dict; they are gone when the process exits."""

    name: ClassVar[str] = "memory"
    writable: ClassVar[bool] = True
    persistent: ClassVar[bool] = False

    def __init__(self) -> None:
        self._records: dict[StorageKey, TokenRecord] = {}
        self._lock = threading.Lock()

    def in_default_chain(self) -> bool:
        """Only when chosen: a token kept in memory is forgotten (and billed again) at exit."""
        return False

    def get(self, key: StorageKey) -> TokenRecord | None:
        """The record saved in this process, or None."""
        with self._lock:
            return self._records.get(key)

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        """Save the record for the life of the process."""
        with self._lock:
            self._records[key] = record

    def delete(self, key: StorageKey) -> bool:
        """Drop the record; True if there was one."""
        with self._lock:
            return self._records.pop(key, None) is not None

    def keys(self) -> Iterator[StorageKey]:
        """Every key saved in this process."""
        with self._lock:
            return iter(list(self._records))

    def describe(self) -> str:
        """This process's memory."""
        return "process memory (lost at exit)"


@hookimpl
def livelike_register_storage(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``memory`` backend."""
    register(MemoryBackend())

"""Token management behind ``livelike token list`` and ``livelike token migrate``.

Nothing here returns or prints a token: listings carry keys, profile ids and ages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timezone

import attrs

from livelike import _breadcrumbs
from livelike._chain import StorageChain
from livelike.errors import StorageError
from livelike.storage import StorageBackend, StorageKey, TokenRecord, utcnow


@attrs.frozen
class Listed:
    """One saved token, described without the token."""

    backend: str
    key: StorageKey
    profile_id: str | None
    age_seconds: float | None
    replaced: int
    error: str | None = None


def listing(backends: Iterable[StorageBackend]) -> Iterator[Listed]:
    """Every key each backend can list; a backend or record that fails is listed with its error."""
    for backend in backends:
        try:
            keys = list(backend.keys())
        except Exception as exc:
            yield Listed(backend.name, StorageKey("?", "?", "?"), None, None, 0, str(exc))
            continue
        for key in keys:
            try:
                record = backend.get(key)
            except Exception as exc:
                yield Listed(backend.name, key, None, None, 0, str(exc))
                continue
            if record is not None:
                saved = record.saved_at  # a naive time (hand-edited, some databases) is UTC
                saved = saved if saved.tzinfo else saved.replace(tzinfo=timezone.utc)
                age = (utcnow() - saved).total_seconds()
                yield Listed(backend.name, key, record.profile_id, age, len(record.history))


@attrs.frozen
class Moved:
    """The outcome of migrating one key: ``moved``, ``already there`` or ``conflict``."""

    key: StorageKey
    source: str
    outcome: str


def _same(a: TokenRecord, b: TokenRecord) -> bool:
    return a.access_token == b.access_token and a.history == b.history


def migrate(
    target: StorageBackend,
    sources: Iterable[StorageBackend],
    keys: Iterable[StorageKey] | None = None,
) -> list[Moved]:
    """Copy each key's record from ``sources`` into ``target``, verify it, then delete the original.

    A key whose target already holds a different token is left alone in both
    places (``conflict``): nothing is overwritten.

    Raises:
        StorageError: a read, write or verification failed (the original is kept).
    """
    results: list[Moved] = []
    for source in sources:
        if source is target or not source.writable:
            continue
        wanted = list(keys) if keys is not None else list(source.keys())
        for key in wanted:
            with StorageChain((target,)).lock(key):
                record = source.get(key)
                if record is None:
                    continue
                existing = target.get(key)
                if existing is not None and existing.access_token != record.access_token:
                    results.append(Moved(key, source.name, "conflict"))
                    continue
                if existing is None:
                    target.put(key, record)
                    copy = target.get(key)
                    if copy is None or not _same(copy, record):
                        raise StorageError(
                            f"the copy of {key} in {target.name!r} did not read back the same; "
                            f"the original in {source.name!r} was kept",
                            backend=target.name,
                        )
                source.delete(key)
                _breadcrumbs.remember(key, target.name)
                results.append(
                    Moved(key, source.name, "moved" if existing is None else "already there")
                )
    return results

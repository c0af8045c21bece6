"""Token management behind ``livelike token list`` and ``livelike token migrate``.

Nothing here returns or prints a token: listings carry keys, profile ids and ages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from livelike import _keylock
from livelike._chain import StorageChain
from livelike.errors import StorageError
from livelike.storage import StorageBackend, StorageKey, TokenRecord, utcnow


@attrs.frozen
class Listed:
    """One saved token (or create in doubt), described without the token."""

    backend: str
    key: StorageKey
    profile_id: str | None
    age_seconds: float | None
    replaced: int
    error: str | None = None
    in_chain: bool = True
    in_doubt_since: str | None = None


def listing(chain: StorageChain, others: Iterable[StorageBackend] = ()) -> Iterator[Listed]:
    """Every key each backend of ``chain``, then of ``others``, can list.

    Keys of ``others`` are marked ``in_chain=False``: their tokens are saved,
    but this configuration does not consult them. A backend or record that
    fails is listed with its error.
    """
    seen = set()
    for backend, in_chain in [(b, True) for b in chain.backends] + [(b, False) for b in others]:
        if id(backend) in seen:
            continue
        seen.add(id(backend))
        try:
            keys = list(backend.keys())
        except Exception as exc:
            unknown = StorageKey("?", "?", "?")
            yield Listed(backend.name, unknown, None, None, 0, str(exc), in_chain)
            continue
        for key in keys:
            try:
                record = backend.get(key)
            except Exception as exc:
                yield Listed(backend.name, key, None, None, 0, str(exc), in_chain)
                continue
            if record is not None:
                age = (utcnow() - record.saved_at).total_seconds()
                intent = record.intent
                yield Listed(
                    backend.name,
                    key,
                    record.profile_id,
                    age,
                    len(record.history),
                    None,
                    in_chain,
                    intent.started_at.isoformat() if intent is not None else None,
                )


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

    Each key is held with the same key lock as get-or-create. A key whose
    target already holds a different token is left alone in both places
    (``conflict``): nothing is overwritten.

    Raises:
        StorageError: a read, write or verification failed (the original is kept).
    """
    results: list[Moved] = []
    into = StorageChain((target,))
    for source in sources:
        if source is target or not source.writable:
            continue
        wanted = list(keys) if keys is not None else list(source.keys())
        for key in wanted:
            with _keylock.hold(key, (target, source)):
                record = into.read(key, source)
                if record is None:
                    continue
                existing = into.read(key, target)
                if existing is not None and existing.access_token != record.access_token:
                    results.append(Moved(key, source.name, "conflict"))
                    continue
                if existing is None:
                    into.save(key, record, target)
                    copy = into.read(key, target)
                    if copy is None or not _same(copy, record):
                        raise StorageError(
                            f"the copy of {key} in {target.name!r} did not read back the same; "
                            f"the original in {source.name!r} was kept",
                            backend=target.name,
                        )
                into.discard(key, source)
                results.append(
                    Moved(key, source.name, "moved" if existing is None else "already there")
                )
    return results

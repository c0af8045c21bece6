"""The storage chain: the only code that talks to storage backends.

Which backends a chain holds, and in what order, is :mod:`livelike._selection`'s
concern. A save goes to the first writable backend of the chain (the primary).

Lazy probing (the default chain only; a chosen one is probed when built):
a backend's probe (and the heavy imports it makes, such as ``keyring``) runs
only when the chain must consult it. A lookup first reads the key's
where-note (:mod:`livelike._breadcrumbs`) and consults, in chain order, the
read-only backends before the noted one (``env``), then the noted backend
itself; writable backends before it are skipped. Anything else (no note, a
miss, a failure, the note at another location) falls back to the full walk
in chain order, probing every backend, as does any save, lock or create.

Why this returns the token the full walk would: every token saved through
livelike goes through :meth:`StorageChain.save`, which rewrites the note, so
the noted backend holds the key's latest token. A writable backend earlier in
the chain can hold a token for the key only if it was saved there *before*
that latest save (the later save happened in a run where that backend was not
in the chain, e.g. ``storage="file"`` with ``init(access_token=...)``); the
full walk would return that superseded token, the fast path the latest one.
In every other state the two agree: a read-only backend (``env``, set from
outside) still wins as before, and a miss in the noted backend (an intent
elsewhere, a token moved aside) takes the full walk.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NoReturn

import attrs

from livelike import _breadcrumbs, _recent
from livelike import _validate as check
from livelike.errors import StorageError
from livelike.storage import StorageBackend, StorageKey, TokenRecord

logger = logging.getLogger("livelike")


@attrs.frozen
class Found:
    """A record and the backend that answered with it."""

    backend: StorageBackend
    record: TokenRecord


def _accepted(backend: StorageBackend, record: TokenRecord) -> Found:
    """``record`` as found in ``backend``, once its token is one that may be sent.

    Raises:
        StorageError: the saved token is malformed (a newline, a space, too long).
    """
    if record.access_token or record.intent is None:
        check.saved_token(record.access_token, backend.name)
    return Found(backend, record)


def fail(
    backend: StorageBackend,
    action: str,
    key: StorageKey,
    exc: Exception,
    record: TokenRecord | None = None,
) -> NoReturn:
    """The one way a backend's exception becomes a :class:`StorageError` naming it.

    The tokens of ``record`` are scrubbed from the plugin's message; when it held
    one, the original exception is not chained (its text would show it).
    """
    text = check.scrub(str(exc), record) if record is not None else str(exc)
    if text == str(exc) and isinstance(exc, StorageError):
        raise exc
    error = StorageError(
        f"storage backend {backend.name!r} could not {action} for {key}: {text}",
        backend=backend.name,
    )
    if text != str(exc):
        raise error from None
    raise error from exc


class StorageChain:
    """Backends in lookup order.

    The chain alone talks to backends: lookups, saves, forgets, snapshot
    refreshes and the notes of where each key's token was saved. With
    ``usable`` (the default chain), backends are probed only when the chain
    must consult them (see the module docstring for the order rule).
    """

    def __init__(
        self,
        backends: Sequence[StorageBackend],
        *,
        usable: Callable[[StorageBackend], bool] | None = None,
    ) -> None:
        self.recent = _recent.RecentSnapshots()
        self._candidates = tuple(backends)
        self._usable = usable
        self._checked: dict[str, bool] = {}
        self._viable: tuple[StorageBackend, ...] | None = None if usable else self._candidates
        self._probe_lock = threading.Lock()

    def __repr__(self) -> str:
        names = ", ".join(b.name for b in self._candidates)
        return f"<StorageChain [{names}] lazy={self._usable is not None}>"

    @property
    def backends(self) -> tuple[StorageBackend, ...]:
        """The chain's usable backends in order (probing, once per chain, those not yet probed)."""
        viable = self._viable
        if viable is None:
            viable = tuple(b for b in self._candidates if self._consultable(b))
            self._viable = viable
        return viable

    def _consultable(self, backend: StorageBackend) -> bool:
        """Whether ``backend`` is usable here: probed on first need, then remembered."""
        if self._usable is None:
            return True
        with self._probe_lock:
            known = self._checked.get(backend.name)
        if known is None:
            known = self._usable(backend)
            with self._probe_lock:
                known = self._checked.setdefault(backend.name, known)
        return known

    @property
    def primary(self) -> StorageBackend | None:
        """The backend saves go to: the first writable one, or None."""
        return next((b for b in self.backends if b.writable), None)

    def lock(self, key: StorageKey) -> contextlib.AbstractContextManager[None]:
        """The key lock (threads, this host, and the locks of the chain's writable backends)."""
        from livelike import _keylock

        return _keylock.hold(key, self.backends)

    def find(self, key: StorageKey) -> Found | None:
        """The first record found in chain order; None only when every backend said absent.

        A backend that fails is "unavailable": a record found after it is
        still returned (it is a saved token, so nothing is created), but when
        none is found the failure is raised rather than read as "absent".

        Raises:
            StorageError: no backend had a record and at least one failed.
        """
        if self._viable is None:
            noted = self._find_noted(key)
            if noted is not None:
                return noted
        failures: list[tuple[StorageBackend, Exception]] = []
        for backend in self.backends:
            try:
                record = backend.get(key)
            except Exception as exc:
                failures.append((backend, exc))
                continue
            if record is not None:
                found = _accepted(backend, record)
                for failed, error in failures:
                    logger.warning(
                        "storage backend %r was unavailable for %s (%s); using the token "
                        "found in %r",
                        failed.name,
                        key,
                        check.scrub(str(error), record),
                        backend.name,
                    )
                return found
        if failures:
            first, cause = failures[0]
            others = "".join(f"; backend {b.name!r} too: {e}" for b, e in failures[1:])
            raise StorageError(
                f"storage backend {first.name!r} could not look up the token for {key}, "
                f"so no profile was created: {cause}{others}",
                backend=first.name,
            ) from cause
        return None

    def _find_noted(self, key: StorageKey) -> Found | None:
        """The fast path of a lazy chain: the backends before the one the where-note
        names that are read-only (``env``), then the noted one; None sends the caller
        down the full walk (no note, a miss, a failure, another location)."""
        try:
            note = _breadcrumbs.saved_in(key)
        except StorageError:
            return None
        if note is None:
            return None
        for backend in self._candidates:
            noted = backend.name == note.backend
            if not noted and backend.writable:
                continue  # superseded by the note's later save: see the module docstring
            try:
                if noted and note.location not in (None, backend.describe()):
                    return None
                if not self._consultable(backend):
                    if noted:
                        return None
                    continue
                record = backend.get(key)
            except Exception:
                return None  # the full walk reports it, or uses a token found after it
            if record is not None:
                return _accepted(backend, record)
            if noted:
                return None
        return None

    def save(self, key: StorageKey, record: TokenRecord, backend: StorageBackend) -> None:
        """Save ``record`` into ``backend`` and note where it went.

        Raises:
            StorageError: the save failed.
        """
        try:
            backend.put(key, record)
        except Exception as exc:
            fail(backend, "save the token", key, exc, record)
        finally:
            _recent.invalidate(key)
        if backend.persistent and record.access_token:
            _breadcrumbs.remember(key, backend.name, backend.describe())

    def read(self, key: StorageKey, backend: StorageBackend) -> TokenRecord | None:
        """The record ``backend`` holds for ``key``, or None.

        Raises:
            StorageError: the backend could not answer.
        """
        try:
            return backend.get(key)
        except Exception as exc:
            fail(backend, "read the token", key, exc)

    def discard(self, key: StorageKey, backend: StorageBackend) -> None:
        """Remove ``key``'s record from ``backend`` (backends move it aside).

        Raises:
            StorageError: the backend failed.
        """
        try:
            backend.delete(key)
        except Exception as exc:
            fail(backend, "remove the record", key, exc)
        finally:
            _recent.invalidate(key)

    def noted_elsewhere(self, key: StorageKey) -> _breadcrumbs.Note | None:
        """The where-note of ``key`` when it points outside this chain, else None.

        Raises:
            StorageError: the note cannot be read.
        """
        note = _breadcrumbs.saved_in(key)
        if note is None:
            return None
        for backend in self.backends:
            if backend.name == note.backend and note.location in (None, backend.describe()):
                return None
        return note

    def check_consulted(self, key: StorageKey) -> None:
        """Raise if ``key``'s token was last saved somewhere this chain does not consult.

        A different backend, or the same backend at another location (another
        token folder, keyring service, database or table), is "not
        consulted", never "absent".

        Raises:
            StorageError: naming where the token was saved and why it was not consulted.
        """
        note = self.noted_elsewhere(key)
        if note is not None:
            raise self._not_consulted(key, note)

    def _not_consulted(self, key: StorageKey, note: _breadcrumbs.Note) -> StorageError:
        where = f"{note.backend!r}" + (f" ({note.location})" if note.location else "")
        return StorageError(
            f"the token for {key} was saved in storage backend {where}, which this run does "
            f"not consult ({_why_not_consulted(self, note.backend)}), so no profile was created. "
            "Choose it (storage= or LIVELIKE_STORAGE), move the token with `livelike token "
            "migrate`, or drop it with `livelike token forget`.",
            backend=note.backend,
        )

    def forget(self, key: StorageKey) -> list[str]:
        """Forget ``key`` in every writable backend of the chain, and in the backend its
        where-note names when that lies outside the chain; return those that had it.

        The note is dropped only once the token it points to is forgotten.

        Raises:
            StorageError: a backend failed to forget, or the note names a backend
                that cannot be used here (it is named; nothing was forgotten).
        """
        backends = list(self.backends)
        note = self.noted_elsewhere(key)
        if note is not None:
            noted = _installed(note)
            if noted is None:
                raise self._not_consulted(key, note)  # naming where the token is
            backends.append(noted)
        forgotten = []
        _recent.invalidate(key)
        for backend in backends:
            if not backend.writable:
                continue
            try:
                if backend.delete(key):
                    forgotten.append(backend.name)
            except Exception as exc:
                fail(backend, "forget the token", key, exc)
        _breadcrumbs.forget(key)
        return forgotten

    def keys_holding(self, like: StorageKey, profile_id: str) -> list[StorageKey]:
        """The keys of ``like``'s API origin and client id whose record holds ``profile_id``.

        Raises:
            StorageError: a writable backend could not list or read its keys.
        """
        found: list[StorageKey] = []
        for backend in self.backends:
            if not backend.writable:
                continue
            try:
                keys = list(backend.keys())
            except Exception as exc:
                fail(backend, "list the saved keys", like, exc)
            for key in keys:
                if (key.api_origin, key.client_id) != (like.api_origin, like.client_id):
                    continue
                record = self.read(key, backend)
                if record is not None and record.profile_id == profile_id and key not in found:
                    found.append(key)
        return found

    def refresh_snapshot(
        self,
        key: StorageKey,
        access_token: str,
        profile: Mapping[str, Any],
        fetched_at: datetime,
        *,
        found: Found | None = None,
        touch: bool = False,
    ) -> None:
        """Save ``profile`` as the snapshot beside ``access_token``, when it changed
        (or, with ``touch``, when ``fetched_at`` is newer: ``max_age`` reads it).

        ``found`` is the lookup the caller just made (saves reading it again).
        A snapshot is only a cache: failing to save it is logged, never raised.
        """
        try:
            found = found if found is not None else self.find(key)
            if found is None or not found.backend.writable:
                return
            if not _stale(found.record, access_token, profile, fetched_at, touch):
                return
            with self.lock(key):
                current = found.backend.get(key)
                if current is None or not _stale(current, access_token, profile, fetched_at, touch):
                    return
                found.backend.put(key, current.with_snapshot(profile, fetched_at))
                _recent.invalidate(key)
                self.recent.put(key, _recent.Snapshot(access_token, dict(profile), fetched_at))
        except Exception as exc:
            logger.warning(
                "could not refresh the saved profile snapshot for %s: %s",
                key,
                check.scrub(str(exc), [access_token]),
            )


def _stale(
    record: TokenRecord,
    access_token: str,
    profile: Mapping[str, Any],
    fetched_at: datetime,
    touch: bool,
) -> bool:
    """Whether ``record`` holds ``access_token`` with an older snapshot than ``profile``."""
    if record.access_token != access_token:
        return False
    if record.profile != profile:
        return True
    return touch and (record.fetched_at is None or record.fetched_at < fetched_at)


def _installed(note: _breadcrumbs.Note) -> StorageBackend | None:
    """The installed, viable, writable backend a where-note names, at the note's location."""
    from livelike._plugins import registry

    backend = registry().backends.get(note.backend)
    if backend is None or not backend.writable or not registry().viability(backend).viable:
        return None
    if note.location is not None and backend.describe() != note.location:
        return None
    return backend


def _why_not_consulted(chain: StorageChain, name: str) -> str:
    if any(b.name == name for b in chain.backends):
        return "it keeps its tokens elsewhere in this run"
    from livelike._plugins import registry

    backend = registry().backends.get(name)
    viability = registry().viability(backend) if backend is not None else None
    if viability is None:
        return "it is not installed, or its plugin was not loaded"
    if not viability.viable:
        return f"it is not usable here: {viability.reason}"
    return "it was not chosen this time"

"""The storage chain: which backends a client consults, in what order, and where it saves.

Order: ``env``, ``keyring``, ``file``, then third-party backends by their
declared priority (highest first); backends that are not viable on this
machine (their probe failed) are left out, and so are those that join only
when chosen (``in_default_chain()`` is False: ``memory``, an unconfigured
database). A save goes to the first writable backend of the chain (the primary).

Choice, most specific first: ``storage=`` on the client, then the
``LIVELIKE_STORAGE`` variable (comma-separated names), then ``storage`` in the
config file (see :mod:`livelike._config`), then the default order.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import attrs

from livelike import _config, _locks
from livelike import _validate as check
from livelike.errors import InvalidArgumentError, StorageError
from livelike.storage import StorageBackend, StorageKey, TokenRecord

if TYPE_CHECKING:
    from livelike._plugins import Registry

logger = logging.getLogger("livelike")

STORAGE_VARIABLE = "LIVELIKE_STORAGE"
BUILTIN_ORDER = ("env", "keyring", "file")

StorageSpec = str | StorageBackend | Sequence[str | StorageBackend] | None


def _joins(backend: StorageBackend) -> bool:
    try:
        return bool(backend.in_default_chain())
    except Exception as exc:
        logger.warning("storage backend %r failed in in_default_chain: %s", backend.name, exc)
        return False


def default_order(backends: dict[str, StorageBackend]) -> list[StorageBackend]:
    """Every backend that may join the default chain, in order (viable or not)."""
    first = [backends[name] for name in BUILTIN_ORDER if name in backends]
    rest = sorted(
        (b for n, b in backends.items() if n not in BUILTIN_ORDER),
        key=lambda b: (-b.priority, b.name),
    )
    return [b for b in first + rest if _joins(b)]


@attrs.frozen
class Found:
    """A record and the backend that answered with it."""

    backend: StorageBackend
    record: TokenRecord


@attrs.frozen
class StorageChain:
    """Backends in lookup order; ``explicit`` when the user chose them."""

    backends: tuple[StorageBackend, ...]
    explicit: bool = False

    @property
    def primary(self) -> StorageBackend | None:
        """The backend saves go to: the first writable one, or None."""
        return next((b for b in self.backends if b.writable), None)

    def find(self, key: StorageKey) -> Found | None:
        """The first record found in chain order; None only when every backend said absent.

        A backend that fails is "unavailable": a record found after it is
        still returned (it is a saved token, so nothing is created), but when
        none is found the failure is raised rather than read as "absent".

        Raises:
            StorageError: no backend had a record and at least one failed.
        """
        failures: list[tuple[StorageBackend, Exception]] = []
        for backend in self.backends:
            try:
                record = backend.get(key)
            except Exception as exc:
                failures.append((backend, exc))
                continue
            if record is not None:
                check.saved_token(record.access_token, backend.name)
                for failed, error in failures:
                    logger.warning(
                        "storage backend %r was unavailable for %s (%s); using the token "
                        "found in %r",
                        failed.name,
                        key,
                        check.scrub(str(error), record),
                        backend.name,
                    )
                return Found(backend, record)
        if failures:
            first, cause = failures[0]
            others = "".join(f"; backend {b.name!r} too: {e}" for b, e in failures[1:])
            raise StorageError(
                f"storage backend {first.name!r} could not look up the token for {key}, "
                f"so no profile was created: {cause}{others}",
                backend=first.name,
            ) from cause
        return None

    def save(
        self, key: StorageKey, record: TokenRecord, backend: StorageBackend | None = None
    ) -> StorageBackend:
        """Save to ``backend`` or the primary; return the backend used.

        Raises:
            StorageError: there is no writable backend, or the save failed.
        """
        target = backend or self.primary
        if target is None:
            raise StorageError(f"no writable storage backend to save the token for {key}")
        try:
            target.put(key, record)
        except Exception as exc:
            failure = exc
        else:
            return target
        text = check.scrub(str(failure), record)
        message = f"storage backend {target.name!r} could not save the token for {key}: {text}"
        if text != str(failure):  # the plugin's message held a token: keep it out of the chain
            raise StorageError(message, backend=target.name)
        if isinstance(failure, StorageError):
            raise failure
        raise StorageError(message, backend=target.name) from failure

    @contextlib.contextmanager
    def lock(self, key: StorageKey) -> Iterator[None]:
        """Exclude other threads, and through the primary's lock other processes,
        from get-or-create for ``key``."""
        with _locks.held(key):
            primary = self.primary
            if primary is None:
                yield
                return
            try:
                backend_lock = primary.lock(key)
            except Exception as exc:
                raise StorageError(
                    f"storage backend {primary.name!r} could not lock {key}: {exc}",
                    backend=primary.name,
                ) from exc
            with backend_lock:
                yield


def resolve(spec: StorageSpec, registry: Registry) -> StorageChain:
    """Turn ``storage=``, ``LIVELIKE_STORAGE`` or the config file into a chain.

    Raises:
        InvalidArgumentError: a name is unknown, or the spec has the wrong type.
        StorageError: a backend named explicitly is not viable on this machine.
    """
    backends = registry.backends
    source = "storage"
    if spec is None:
        env = os.environ.get(STORAGE_VARIABLE, "").strip()
        setting = (env, STORAGE_VARIABLE) if env else _config.storage_setting()
        if setting is None:
            viable = [b for b in default_order(backends) if registry.viability(b).viable]
            return StorageChain(tuple(viable))
        spec, source = setting
    items: Sequence[str | StorageBackend]
    if isinstance(spec, str):
        items = [part.strip() for part in spec.split(",") if part.strip()]
    elif isinstance(spec, StorageBackend):
        items = [spec]
    elif isinstance(spec, Sequence):
        items = spec
    else:
        raise InvalidArgumentError(
            f"storage must be a backend name, a StorageBackend or a list of them, "
            f"not {type(spec).__name__}"
        )
    chosen: list[StorageBackend] = []
    for item in items:
        if isinstance(item, StorageBackend):
            chosen.append(item)
        elif isinstance(item, str) and item in backends:
            backend = backends[item]
            viability = registry.viability(backend)
            if not viability.viable:
                raise StorageError(
                    f"storage backend {item!r} (from {source}) is not usable on this "
                    f"machine: {viability.reason}",
                    backend=item,
                )
            chosen.append(backend)
        else:
            known = ", ".join(sorted(backends)) or "none"
            raise InvalidArgumentError(
                f"unknown storage backend {item!r} (from {source}); available: {known}"
            )
    if not chosen:
        raise InvalidArgumentError(f"{source} names no storage backend")
    return StorageChain(tuple(chosen), explicit=True)

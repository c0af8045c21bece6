"""Storage selection: which backends a client's chain holds, and in what order.

Order: backends by their declared priority (highest first: ``env`` 300,
``keyring`` 200, ``file`` 100, then third parties); backends that are not
viable on this machine (their probe failed) are left out, and so are those
that join only when chosen (``in_default_chain()`` is False: ``memory``, an
unconfigured database).

Choice, most specific first: ``storage=`` on the client, then the
``LIVELIKE_STORAGE`` variable (comma-separated names), then ``storage`` in the
config file (see :mod:`livelike._config`), then the default order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from livelike import _config
from livelike._chain import StorageChain
from livelike.errors import InvalidArgumentError, StorageError
from livelike.storage import StorageBackend

if TYPE_CHECKING:
    from livelike._plugins import Registry

__all__ = ["STORAGE_VARIABLE", "StorageSpec", "default_order", "resolve"]

logger = logging.getLogger("livelike")

STORAGE_VARIABLE = "LIVELIKE_STORAGE"

StorageSpec = str | StorageBackend | Sequence[str | StorageBackend] | None


def _joins(backend: StorageBackend) -> bool:
    try:
        return bool(backend.in_default_chain())
    except Exception as exc:
        logger.warning("storage backend %r failed in in_default_chain: %s", backend.name, exc)
        return False


def default_order(backends: dict[str, StorageBackend]) -> list[StorageBackend]:
    """Every backend that may join the default chain, highest priority first (viable or not)."""
    ordered = sorted(backends.values(), key=lambda b: (-b.priority, b.name))
    return [b for b in ordered if _joins(b)]


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
            return StorageChain(
                default_order(backends), usable=lambda b: registry.viability(b, again=True).viable
            )
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
            message = f"unknown storage backend {item!r} (from {source}); available: {known}"
            from livelike._plugins import LOAD_VARIABLE

            for ep in registry.filtered():
                if ep.name == item:
                    message = (
                        f"storage backend {item!r} is installed ({ep.distribution} {ep.version}) "
                        f"but filtered out by {LOAD_VARIABLE}="
                        f"{os.environ.get(LOAD_VARIABLE, '')!r}; {message}"
                    )
            raise InvalidArgumentError(message)
    if not chosen:
        raise InvalidArgumentError(f"{source} names no storage backend")
    return StorageChain(tuple(chosen))

"""The index entry: the keyring cannot list its entries, so one entry lists the saved keys.

It only serves :meth:`KeyringBackend.keys`; a missing or corrupt index never
changes a lookup, and a failure to update it is logged, not raised.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from livelike.errors import StorageError
from livelike.files import FileLock
from livelike.storage import StorageKey

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend as Keyring

    from livelike_keyring._backend import KeyringBackend

__all__ = ["INDEX_USERNAME", "listed", "update"]

logger = logging.getLogger("livelike.keyring")

INDEX_USERNAME = "__index__"
"""The keyring username of the list of saved keys (a key's username is its hex digest)."""
INDEX_FORMAT = 1


def parse(raw: str | None) -> list[StorageKey] | None:
    """The keys listed in the index entry; [] when there is none, None when it is corrupt."""
    if raw is None:
        return []
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
            raise ValueError("not a livelike keyring index")
        items = data.get("keys")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValueError("the index has no list of keys")
        return [StorageKey.from_dict(item) for item in items]
    except ValueError:
        return None


def text(keys: Iterable[StorageKey]) -> str:
    """The index entry's password for ``keys``."""
    return json.dumps(
        {"format": INDEX_FORMAT, "keys": [key.as_dict() for key in keys]}, separators=(",", ":")
    )


def listed(backend: KeyringBackend, service: str) -> list[StorageKey]:
    """The keys in the index whose entry is still there; [] (logged) for a corrupt index.

    Raises:
        StorageError: the keyring failed, did not answer in time or is not usable.
    """
    keys = parse(
        backend.run(
            "list the saved tokens", lambda active: active.get_password(service, INDEX_USERNAME)
        )
    )
    if keys is None:
        logger.warning(
            "keyring storage: the index of saved keys (service %r, username %r) is corrupt; "
            "keys are listed again as tokens are saved",
            service,
            INDEX_USERNAME,
        )
        return []

    def has_entry(key: StorageKey) -> bool:
        value = backend.run(
            f"look up the token for {key}", lambda active: active.get_password(service, key.digest)
        )
        return value is not None

    return [key for key in keys if has_entry(key)]


def update(backend: KeyringBackend, service: str, key: StorageKey, *, present: bool) -> None:
    """Add ``key`` to (or drop it from) the index, under a lock shared by every key.

    Best effort: the entry itself is already saved or moved aside, so a
    failure is logged, not raised.
    """

    def change(active: Keyring) -> None:
        keys = parse(active.get_password(service, INDEX_USERNAME))
        if keys is None:
            logger.warning(
                "keyring storage: the index of saved keys (service %r) was corrupt; "
                "it is started again",
                service,
            )
        elif (key in keys) == present:
            return
        kept = [k for k in keys or [] if k != key] + ([key] if present else [])
        active.set_password(service, INDEX_USERNAME, text(kept))

    try:
        with FileLock(
            backend.lock_path("index"),
            timeout=backend.lock_timeout,
            backend=backend.name,
            what="the keyring index",
        ):
            backend.run("update the index of saved tokens", change)
    except StorageError as exc:
        logger.warning(
            "keyring storage could not update its index of saved keys, so listing may %s %s: %s",
            "miss" if present else "still show",
            key,
            exc,
        )

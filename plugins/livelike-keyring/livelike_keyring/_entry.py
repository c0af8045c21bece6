"""The keyring entry of a key: livelike's shared entry format, and the error for a corrupt one."""

from __future__ import annotations

import logging
import sys

import attrs

from livelike import _audit
from livelike.errors import StorageError
from livelike.storage import RetiredToken, StorageKey, TokenRecord, decode_entry, encode_entry

__all__ = ["ENTRY_LIMIT", "decode", "fitted", "note_dropped"]

logger = logging.getLogger("livelike.keyring")

ENTRY_LIMIT = 2560
"""Bytes Windows Credential Manager keeps in one entry (it stores the text as UTF-16)."""


def fitted(key: StorageKey, record: TokenRecord) -> tuple[str, list[RetiredToken]]:
    """The entry (``{"format": 1, "key": ..., "record": ...}``, compact JSON) for
    ``record``, small enough for one Windows Credential Manager entry, and what was dropped.

    On Windows the profile snapshot (a cache) goes first, then retired tokens,
    oldest first; elsewhere the record is kept whole. The token and any create
    intent are always kept.
    """
    dropped: list[RetiredToken] = []
    entry = encode_entry(key, record)
    if sys.platform != "win32":
        return entry, dropped
    while len(entry.encode("utf-16-le")) > ENTRY_LIMIT:
        if record.profile is not None:
            record = attrs.evolve(record, profile=None, fetched_at=None)
        elif record.history:
            dropped.append(record.history[0])
            record = attrs.evolve(record, history=record.history[1:])
        else:
            break  # the token alone is too long: the keyring's own error will say so
        entry = encode_entry(key, record)
    return entry, dropped


def note_dropped(key: StorageKey, dropped: list[RetiredToken]) -> None:
    """Log, and note in the audit log, the retired tokens a full entry could not keep."""
    reason = f"dropped from the keyring entry, which holds at most {ENTRY_LIMIT} bytes"
    logger.warning(
        "keyring storage: %d retired token(s) of %s were %s (oldest first; noted in the audit log)",
        len(dropped),
        key,
        reason,
    )
    for old in dropped:
        _audit.record(
            key,
            "retired token dropped",
            reason,
            profile_id=old.profile_id,
            retired_at=old.retired_at.isoformat(),
        )


def decode(key: StorageKey, value: str, service: str, backend: str) -> TokenRecord:
    """The record in an entry's text.

    Raises:
        StorageError: the entry is corrupt or belongs to another key (no token in the message).
    """
    try:
        stored_key, record = decode_entry(value)
    except ValueError as exc:
        raise StorageError(
            f"keyring storage found a corrupt entry for {key} (service {service!r}, "
            f"username {key.digest}): {exc}. It was left as it is; move it aside with "
            f"`livelike token forget --client-id {key.client_id} --subject {key.subject!r}` "
            "(which keeps a copy in the keyring) or repair it by hand.",
            backend=backend,
        ) from None
    if stored_key != key:
        raise StorageError(
            f"keyring storage found an entry for another key ({stored_key}) under the "
            f"name of {key} (service {service!r}, username {key.digest})",
            backend=backend,
        )
    return record

"""The keyring entry of a key: livelike's shared entry format, and the error for a corrupt one."""

from __future__ import annotations

from livelike.errors import StorageError
from livelike.storage import StorageKey, TokenRecord, decode_entry, encode_entry

__all__ = ["decode", "encode"]


def encode(key: StorageKey, record: TokenRecord) -> str:
    """The entry's password: ``{"format": 1, "key": ..., "record": ...}`` (compact JSON)."""
    return encode_entry(key, record)


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

"""The ``keyring`` storage backend: LiveLike access tokens in the operating system's keyring."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from livelike import _audit
from livelike.backends.file import LOCK_TIMEOUT, FileLock, default_home
from livelike.errors import InvalidArgumentError, StorageError
from livelike.storage import LockScope, RetiredToken, StorageBackend, StorageKey, TokenRecord
from livelike_keyring._calls import call_with_timeout, unusable_reason

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend as Keyring

__all__ = [
    "DEFAULT_SERVICE",
    "DEFAULT_TIMEOUT",
    "FORMAT",
    "INDEX_USERNAME",
    "SERVICE_VARIABLE",
    "TIMEOUT_VARIABLE",
    "KeyringBackend",
]

logger = logging.getLogger("livelike")

T = TypeVar("T")

DEFAULT_SERVICE = "livelike"
SERVICE_VARIABLE = "LIVELIKE_KEYRING_SERVICE"
DEFAULT_TIMEOUT = 5.0
TIMEOUT_VARIABLE = "LIVELIKE_KEYRING_TIMEOUT"
FORMAT = 1
INDEX_USERNAME = "__index__"
"""The keyring username of the list of saved keys (a key's username is its hex digest)."""
ENTRY_LIMIT = 2560
"""Bytes Windows Credential Manager keeps in one entry (it stores the text as UTF-16)."""

_NAME = "keyring"


class _Refused(Exception):
    """The keyring broke its contract (a problem found by this backend, not raised by keyring)."""


class _Unusable(Exception):
    """The active keyring cannot keep anything (see :func:`unusable_reason`)."""


def _positive_seconds(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _tokens_in(data: Any) -> list[str]:
    """Every ``access_token`` string anywhere in parsed JSON (to keep them out of messages)."""
    found: list[str] = []
    if isinstance(data, Mapping):
        for name, value in data.items():
            if name == "access_token" and isinstance(value, str) and value:
                found.append(value)
            else:
                found.extend(_tokens_in(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(_tokens_in(item))
    return found


def _record_tokens(record: TokenRecord) -> list[str]:
    return [record.access_token, *(item.access_token for item in record.history)]


def _scrub(text: str, hidden: Iterable[str]) -> tuple[str, bool]:
    """``text`` with every string of ``hidden`` replaced, and whether one was there."""
    found = False
    for secret in sorted({s for s in hidden if s}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "<token>")
            found = True
    return text, found


def _entry_text(key: StorageKey, record: TokenRecord) -> str:
    return json.dumps(
        {"format": FORMAT, "key": key.as_dict(), "record": record.as_dict()},
        separators=(",", ":"),
    )


def _fitted(key: StorageKey, record: TokenRecord) -> tuple[TokenRecord, list[RetiredToken]]:
    """``record`` small enough for one Windows Credential Manager entry, and what was dropped.

    On Windows the profile snapshot (a cache) goes first, then retired tokens,
    oldest first; elsewhere the record is kept whole.
    """
    dropped: list[RetiredToken] = []
    if sys.platform != "win32":
        return record, dropped
    while len(_entry_text(key, record).encode("utf-16-le")) > ENTRY_LIMIT:
        if record.profile is not None:
            record = TokenRecord(
                record.access_token, record.profile_id, record.saved_at, record.history
            )
        elif record.history:
            dropped.append(record.history[0])
            record = TokenRecord(
                record.access_token, record.profile_id, record.saved_at, record.history[1:]
            )
        else:
            break  # the token alone is too long: the keyring's own error will say so
    return record, dropped


def _index_keys(raw: str | None) -> list[StorageKey] | None:
    """The keys listed in the index entry; [] when there is none, None when it is corrupt."""
    if raw is None:
        return []
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a livelike keyring index")
        items = data.get("keys")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValueError("the index has no list of keys")
        return [StorageKey.from_dict(item) for item in items]
    except ValueError:
        return None


def _index_text(keys: Iterable[StorageKey]) -> str:
    return json.dumps(
        {"format": FORMAT, "keys": [key.as_dict() for key in keys]}, separators=(",", ":")
    )


class KeyringBackend(StorageBackend):
    """Saves each key's record in the OS keyring (macOS Keychain, Windows Credential
    Manager, Secret Service, KWallet...) through the ``keyring`` library.

    Each record is one keyring entry: service :attr:`service`, username the
    key's hex :attr:`~livelike.storage.StorageKey.digest`, password the JSON
    ``{"format": 1, "key": ..., "record": ...}``. The keyring cannot list its
    entries, so an index entry (username ``"__index__"``) lists the saved
    keys for :meth:`keys`; it is only ever used for listing, never for a lookup.

    Every keyring call runs in a daemon thread and is given up on after
    :attr:`timeout` seconds (a locked keyring can wait for ever for an unlock
    prompt): that, and any error from keyring, raises
    :class:`~livelike.errors.StorageError`, so a keyring that cannot answer
    never reads as "no saved token". Constructing the backend touches nothing.

    Args:
        service: the keyring service name; default ``$LIVELIKE_KEYRING_SERVICE``
            or ``"livelike"``.
        timeout: seconds to wait for each keyring call; default
            ``$LIVELIKE_KEYRING_TIMEOUT`` or 5.
        lock_timeout: seconds to wait for the lock file of a key (see :meth:`lock`).

    Raises:
        InvalidArgumentError: ``service`` is empty or a timeout is not a
            positive number.

    Example::

        from livelike_keyring import KeyringBackend

        client = livelike.LiveLike(client_id, storage=[KeyringBackend(timeout=10)])
    """

    name: ClassVar[str] = _NAME
    writable: ClassVar[bool] = True
    persistent: ClassVar[bool] = True
    lock_scope: LockScope = "host"

    def __init__(
        self,
        service: str | None = None,
        *,
        timeout: float | None = None,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        if service is not None and (not isinstance(service, str) or not service.strip()):
            raise InvalidArgumentError("the keyring service name must be a non-empty string")
        if timeout is not None and not _positive_seconds(timeout):
            raise InvalidArgumentError(f"timeout must be a positive number of seconds: {timeout!r}")
        if not _positive_seconds(lock_timeout):
            raise InvalidArgumentError(
                f"lock_timeout must be a positive number of seconds: {lock_timeout!r}"
            )
        self._service = service
        self._timeout = float(timeout) if timeout is not None else None
        self.lock_timeout = float(lock_timeout)

    # -- settings -------------------------------------------------------------------

    @property
    def service(self) -> str:
        """The keyring service name entries are saved under."""
        if self._service is not None:
            return self._service
        return os.environ.get(SERVICE_VARIABLE, "").strip() or DEFAULT_SERVICE

    @property
    def timeout(self) -> float:
        """Seconds to wait for one keyring call.

        Raises:
            StorageError: ``$LIVELIKE_KEYRING_TIMEOUT`` is not a positive number.
        """
        if self._timeout is not None:
            return self._timeout
        raw = os.environ.get(TIMEOUT_VARIABLE, "").strip()
        if not raw:
            return DEFAULT_TIMEOUT
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not _positive_seconds(value):
            raise StorageError(
                f"{TIMEOUT_VARIABLE} must be a positive number of seconds, not {raw!r}",
                backend=self.name,
            )
        return value

    # -- calling the keyring --------------------------------------------------------

    def _run(
        self, what: str, operation: Callable[[Keyring], T], hidden: list[str] | None = None
    ) -> T:
        """Run ``operation`` on the active keyring within the timeout.

        Strings in ``hidden`` (a list ``operation`` may extend) never appear in a message.
        """
        hidden = hidden if hidden is not None else []

        def call() -> T:
            import keyring

            active = keyring.get_keyring()
            reason = unusable_reason(active)
            if reason is not None:
                raise _Unusable(reason)
            return operation(active)

        try:
            return call_with_timeout(call, timeout=self.timeout, what=what, backend=self.name)
        except StorageError:
            raise
        except (_Unusable, _Refused) as exc:
            raise StorageError(
                f"keyring storage could not {what}: {exc}", backend=self.name
            ) from None
        except Exception as exc:
            reason, scrubbed = _scrub(f"{type(exc).__name__}: {exc}", hidden)
            error = StorageError(f"keyring storage could not {what}: {reason}", backend=self.name)
            if scrubbed:  # the original error shows a token: do not chain it
                raise error from None
            raise error from exc

    def _decode(self, key: StorageKey, value: str, service: str) -> TokenRecord:
        """The record in an entry's text; raises StorageError when it is not one for ``key``."""
        data: Any = None
        try:
            data = json.loads(value)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("not a livelike keyring entry")
            stored, record = data.get("key"), data.get("record")
            if not isinstance(stored, dict) or not isinstance(record, dict):
                raise ValueError("the entry has no key and record")
            stored_key = StorageKey.from_dict(stored)
            parsed = TokenRecord.from_dict(record)
        except (ValueError, TypeError, AttributeError) as exc:
            reason, _ = _scrub(str(exc), _tokens_in(data))
            raise StorageError(
                f"keyring storage found a corrupt entry for {key} (service {service!r}, "
                f"username {key.digest}): {reason}. It was left as it is; move it aside with "
                f"`livelike token forget --client-id {key.client_id} --subject {key.subject!r}` "
                "(which keeps a copy in the keyring) or repair it by hand.",
                backend=self.name,
            ) from None
        if stored_key != key:
            raise StorageError(
                f"keyring storage found an entry for another key ({stored_key}) under the "
                f"name of {key} (service {service!r}, username {key.digest})",
                backend=self.name,
            )
        return parsed

    # -- the StorageBackend contract ------------------------------------------------

    def probe(self) -> None:
        """Raise unless the active keyring can keep tokens.

        Not viable: keyring's ``fail.Keyring`` (no backend found, the usual state
        on a headless Linux machine), ``null.Keyring`` and a ``ChainerBackend``
        with nothing to chain. Finding the active keyring is subject to the timeout.

        Raises:
            StorageError: with the reason.
        """

        def check() -> str | None:
            import keyring

            return unusable_reason(keyring.get_keyring())

        what = "find the active keyring"
        try:
            reason = call_with_timeout(check, timeout=self.timeout, what=what, backend=self.name)
        except StorageError:
            raise
        except Exception as exc:
            raise StorageError(
                f"keyring could not {what}: {type(exc).__name__}: {exc}", backend=self.name
            ) from exc
        if reason is not None:
            raise StorageError(reason, backend=self.name)

    def get(self, key: StorageKey) -> TokenRecord | None:
        """The record saved under ``key``, or None when the keyring has no entry for it.

        Raises:
            StorageError: the keyring failed, did not answer in time or is not
                usable, or the entry is corrupt or belongs to another key.
        """
        service = self.service
        value = self._run(
            f"read the token for {key}",
            lambda active: active.get_password(service, key.digest),
        )
        if value is None:
            return None
        return self._decode(key, value, service)

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        """Save ``record`` under ``key`` (one keyring entry, replaced whole), then read it
        back to make sure the keyring kept it, then add ``key`` to the index.

        Raises:
            StorageError: the keyring failed, did not answer in time, is not usable,
                or did not keep the entry. A failure to update the index is only logged.
        """
        service = self.service
        whole = record
        record, dropped = _fitted(key, record)
        value = _entry_text(key, record)

        def save(active: Keyring) -> None:
            active.set_password(service, key.digest, value)
            if active.get_password(service, key.digest) != value:
                raise _Refused("the keyring accepted the entry but did not keep it")

        self._run(f"save the token for {key}", save, _record_tokens(whole))
        if dropped:
            self._note_dropped(key, dropped)
        self._update_index(service, key, present=True)

    def _note_dropped(self, key: StorageKey, dropped: list[RetiredToken]) -> None:
        """Log, and note in the audit log, the retired tokens a full entry could not keep."""
        reason = f"dropped from the keyring entry, which holds at most {ENTRY_LIMIT} bytes"
        logger.warning(
            "keyring storage: %d retired token(s) of %s were %s (oldest first; noted in "
            "the audit log)",
            len(dropped),
            key,
            reason,
        )
        for old in dropped:
            try:
                _audit.note(
                    "retired token dropped",
                    old.profile_id,
                    key,
                    reason,
                    retired_at=old.retired_at.isoformat(),
                )
            except OSError as exc:
                logger.warning("could not note the dropped token in the audit log: %s", exc)

    def delete(self, key: StorageKey) -> bool:
        """Move the entry for ``key`` aside (the token is kept, under username
        ``forgotten-<digest>-<UTC time>-<random>``) and drop it from the index.

        Returns:
            True if there was an entry, False if there was none.

        Raises:
            StorageError: the keyring failed, did not answer in time or is not usable.
        """
        service = self.service
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = f"forgotten-{key.digest}-{stamp}-{secrets.token_hex(3)}"
        hidden: list[str] = []

        def move_aside(active: Keyring) -> bool:
            value = active.get_password(service, key.digest)
            if value is None:
                return False
            with contextlib.suppress(ValueError):
                hidden.extend(_tokens_in(json.loads(value)))
            hidden.append(value)
            active.set_password(service, aside, value)
            active.delete_password(service, key.digest)
            return True

        existed = self._run(f"forget the token for {key}", move_aside, hidden)
        if existed:
            self._update_index(service, key, present=False)
        return existed

    def keys(self) -> Iterator[StorageKey]:
        """Every key listed in the index whose entry is still there.

        A missing or corrupt index lists nothing (a corrupt one is logged); the
        entries themselves are untouched by it.

        Raises:
            StorageError: the keyring failed, did not answer in time or is not usable.
        """
        service = self.service
        listed = _index_keys(
            self._run(
                "list the saved tokens",
                lambda active: active.get_password(service, INDEX_USERNAME),
            )
        )
        if listed is None:
            logger.warning(
                "keyring storage: the index of saved keys (service %r, username %r) is corrupt; "
                "keys are listed again as tokens are saved",
                service,
                INDEX_USERNAME,
            )
            return iter(())
        return iter([key for key in listed if self._has_entry(service, key)])

    def _has_entry(self, service: str, key: StorageKey) -> bool:
        value = self._run(
            f"look up the token for {key}", lambda active: active.get_password(service, key.digest)
        )
        return value is not None

    def lock(self, key: StorageKey) -> contextlib.AbstractContextManager[None]:
        """An OS file lock under ``$LIVELIKE_HOME/locks`` (the keyring has no locks of its
        own); the kernel releases it if the holding process dies."""
        return FileLock(
            default_home() / "locks" / f"keyring-{key.digest}.lock",
            timeout=self.lock_timeout,
            backend=self.name,
            what=str(key),
        )

    def describe(self) -> str:
        """Where tokens live: the OS keyring and the service name."""
        return f"the OS keyring, service {self.service!r}"

    # -- the index ------------------------------------------------------------------

    def _update_index(self, service: str, key: StorageKey, *, present: bool) -> None:
        """Add ``key`` to (or drop it from) the index, under a lock shared by every key.

        Best effort: the entry itself is already saved or moved aside, and the
        index only serves :meth:`keys`, so a failure is logged, not raised.
        """

        def update(active: Keyring) -> None:
            listed = _index_keys(active.get_password(service, INDEX_USERNAME))
            if listed is None:
                logger.warning(
                    "keyring storage: the index of saved keys (service %r) was corrupt; "
                    "it is started again",
                    service,
                )
            elif (key in listed) == present:
                return
            listed = listed or []
            kept = [k for k in listed if k != key] + ([key] if present else [])
            active.set_password(service, INDEX_USERNAME, _index_text(kept))

        try:
            with FileLock(
                default_home() / "locks" / "keyring-index.lock",
                timeout=self.lock_timeout,
                backend=self.name,
                what="the keyring index",
            ):
                self._run("update the index of saved tokens", update)
        except StorageError as exc:
            logger.warning(
                "keyring storage could not update its index of saved keys, so listing may "
                "%s %s: %s",
                "miss" if present else "still show",
                key,
                exc,
            )

"""The ``keyring`` storage backend: LiveLike access tokens in the operating system's keyring."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from livelike.errors import InvalidArgumentError, StorageError
from livelike.files import LOCK_TIMEOUT, FileLock, positive_seconds
from livelike.storage import LockScope, StorageBackend, StorageKey, TokenRecord, decode_entry
from livelike_keyring._calls import Refused, call_with_timeout, run, unusable_reason
from livelike_keyring._entry import decode, fitted, note_dropped
from livelike_keyring._index import INDEX_USERNAME, listed, update
from livelike_keyring._settings import (
    DEFAULT_SERVICE,
    DEFAULT_TIMEOUT,
    LOCK_DIR_VARIABLE,
    NAME,
    SERVICE_VARIABLE,
    TIMEOUT_VARIABLE,
    lock_folder,
    service_name,
    timeout_seconds,
)

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend as Keyring

__all__ = [
    "DEFAULT_SERVICE",
    "DEFAULT_TIMEOUT",
    "INDEX_USERNAME",
    "LOCK_DIR_VARIABLE",
    "SERVICE_VARIABLE",
    "TIMEOUT_VARIABLE",
    "KeyringBackend",
]

T = TypeVar("T")


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

    name: ClassVar[str] = NAME
    writable: ClassVar[bool] = True
    persistent: ClassVar[bool] = True
    priority: ClassVar[int] = 200
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
        if timeout is not None and not positive_seconds(timeout):
            raise InvalidArgumentError(f"timeout must be a positive number of seconds: {timeout!r}")
        if not positive_seconds(lock_timeout):
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
        return service_name(self._service)

    @property
    def timeout(self) -> float:
        """Seconds to wait for one keyring call.

        Raises:
            StorageError: ``$LIVELIKE_KEYRING_TIMEOUT`` is not a positive number.
        """
        return timeout_seconds(self._timeout)

    def run(
        self, what: str, operation: Callable[[Keyring], T], hidden: list[str] | None = None
    ) -> T:
        """Run ``operation`` on the active keyring within the timeout (see :func:`_calls.run`)."""
        return run(what, operation, timeout=self.timeout, backend=self.name, hidden=hidden)

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
        value = self.run(
            f"read the token for {key}",
            lambda active: active.get_password(service, key.digest),
        )
        if value is None:
            return None
        return decode(key, value, service, self.name)

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        """Save ``record`` under ``key`` (one keyring entry, replaced whole), then read it
        back to make sure the keyring kept it, then add ``key`` to the index.

        Raises:
            StorageError: the keyring failed, did not answer in time, is not usable,
                or did not keep the entry. A failure to update the index is only logged.
        """
        service = self.service
        value, dropped = fitted(key, record)

        def save(active: Keyring) -> None:
            active.set_password(service, key.digest, value)
            if active.get_password(service, key.digest) != value:
                raise Refused("the keyring accepted the entry but did not keep it")

        self.run(f"save the token for {key}", save, list(record.tokens()))
        if dropped:
            note_dropped(key, dropped)
        update(self, service, key, present=True)

    def delete(self, key: StorageKey) -> bool:
        """Move the entry for ``key`` aside (the token is kept, under username
        ``forgotten-<digest>-<UTC time>-<random>``) and drop it from the index.

        Returns:
            True if there was an entry, False if there was none.

        Raises:
            StorageError: the keyring failed, did not answer in time or is not usable.
        """
        import secrets  # only forgetting needs it: not imported at start-up

        service = self.service
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = f"forgotten-{key.digest}-{stamp}-{secrets.token_hex(3)}"
        hidden: list[str] = []

        def move_aside(active: Keyring) -> bool:
            value = active.get_password(service, key.digest)
            if value is None:
                return False
            with contextlib.suppress(ValueError):
                hidden.extend(decode_entry(value)[1].tokens())
            hidden.append(value)
            active.set_password(service, aside, value)
            active.delete_password(service, key.digest)
            return True

        existed = self.run(f"forget the token for {key}", move_aside, hidden)
        if existed:
            update(self, service, key, present=False)
        return existed

    def keys(self) -> Iterator[StorageKey]:
        """Every key listed in the index whose entry is still there.

        A missing or corrupt index lists nothing (a corrupt one is logged); the
        entries themselves are untouched by it.

        Raises:
            StorageError: the keyring failed, did not answer in time or is not usable.
        """
        return iter(listed(self, self.service))

    def lock_path(self, name: str) -> Path:
        """The lock file ``name`` of this backend's keyring service.

        The keyring is one per user of the host, whatever ``LIVELIKE_HOME`` a
        process uses, so its locks live in one folder per user too:
        ``$LIVELIKE_KEYRING_LOCK_DIR``, else the user's cache folder for
        livelike (``~/.cache/livelike/keyring-locks`` on Linux).
        """
        folder = lock_folder()
        service = hashlib.sha256(self.service.encode("utf-8")).hexdigest()[:16]
        return folder / f"{service}-{name}.lock"

    def lock(self, key: StorageKey) -> contextlib.AbstractContextManager[None]:
        """An OS file lock at :meth:`lock_path` (the keyring has no locks of its own),
        reentrant in a thread; the kernel releases it if the holding process dies."""
        return FileLock(
            self.lock_path(key.digest), timeout=self.lock_timeout, backend=self.name, what=str(key)
        )

    def describe(self) -> str:
        """Where tokens live: the OS keyring and the service name."""
        return f"the OS keyring, service {self.service!r}"

"""The storage contract: keys, records and the backend base class.

A storage backend saves access tokens under a :class:`StorageKey` (API origin,
client id, subject). Backends are found through pluggy (see
:mod:`livelike.hookspecs`); third parties subclass :class:`StorageBackend`.

A lookup has three outcomes, and a backend must keep them apart:

- found: :meth:`StorageBackend.get` returns a :class:`TokenRecord`;
- absent: it returns ``None``, and only when it is *sure* nothing is saved;
- unavailable: it raises (any exception; :class:`~livelike.errors.StorageError`
  preferred). livelike then creates no profile.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar, Literal

import attrs

from livelike.errors import StorageError

__all__ = [
    "ENTRY_FORMAT",
    "CreateIntent",
    "LockScope",
    "RetiredToken",
    "StorageBackend",
    "StorageKey",
    "TokenRecord",
    "decode_entry",
    "encode_entry",
    "utcnow",
]

LockScope = Literal["process", "host", "shared"]
"""What a backend's :meth:`StorageBackend.lock` excludes: other threads of one
process only (``process``), other processes of one host (``host``), or every
host sharing the store (``shared``)."""


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def _utc(value: datetime) -> datetime:
    """``value``, a naive time (a hand-edited file, some databases) read as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise ValueError(f"not a timestamp: {type(value).__name__}")


@attrs.frozen
class StorageKey:
    """Where a token is saved: one per (API origin, client id, subject).

    Attributes:
        api_origin: ``scheme://host[:port]`` of the LiveLike API.
        client_id: the application's client id.
        subject: the integrator's name for whose profile this is ("default"
            for a script, the integrator's user id for a service).
    """

    api_origin: str
    client_id: str
    subject: str

    @property
    def digest(self) -> str:
        """A stable hex name for this key, safe as a file name or a database key."""
        raw = "\x00".join((self.api_origin, self.client_id, self.subject))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def as_dict(self) -> dict[str, str]:
        """The key as a JSON-ready dict."""
        return {"api_origin": self.api_origin, "client_id": self.client_id, "subject": self.subject}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StorageKey:
        """Rebuild a key from :meth:`as_dict` output.

        Raises:
            ValueError: a field is missing or not a string.
        """
        values = [data.get(name) for name in ("api_origin", "client_id", "subject")]
        if not all(isinstance(v, str) for v in values):
            raise ValueError("a storage key needs string api_origin, client_id and subject")
        return cls(*values)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"client id {self.client_id} subject {self.subject!r} at {self.api_origin}"


@attrs.frozen
class RetiredToken:
    """A token that was saved under a key and then replaced: kept, never lost.

    Attributes:
        access_token: the old token (hidden from ``repr``).
        profile_id: the profile it belonged to, where known.
        saved_at: when it was first saved.
        retired_at: when it was replaced.
        reason: why, e.g. ``"replaced"`` or ``"rejected (401)"``.
    """

    access_token: str = attrs.field(repr=False)
    profile_id: str | None
    saved_at: datetime = attrs.field(converter=_utc)
    retired_at: datetime = attrs.field(converter=_utc)
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """The retired token as a JSON-ready dict (it includes the token)."""
        return {
            "access_token": self.access_token,
            "profile_id": self.profile_id,
            "saved_at": self.saved_at.isoformat(),
            "retired_at": self.retired_at.isoformat(),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RetiredToken:
        """Rebuild from :meth:`as_dict` output. Raises ValueError on bad data."""
        token = data.get("access_token")
        if not isinstance(token, str):
            raise ValueError("a retired token record has no access_token")
        profile_id = data.get("profile_id")
        return cls(
            access_token=token,
            profile_id=profile_id if isinstance(profile_id, str) else None,
            saved_at=_time(data.get("saved_at")),
            retired_at=_time(data.get("retired_at")),
            reason=str(data.get("reason", "")),
        )


@attrs.frozen
class CreateIntent:
    """A create started for a key and not yet answered: written before the request.

    If the answer is lost (a timeout, a dropped connection, a 5xx after the
    service acted), the intent stays, and livelike refuses to create again
    for the key until the loss is accepted: the service may already have made
    and billed the profile.

    Attributes:
        started_at: when the create was about to be sent.
        host: the machine that sent it.
        pid: the process that sent it.
        reason: why a profile was being created (``"no saved token"``, ...).
    """

    started_at: datetime = attrs.field(converter=_utc)
    host: str
    pid: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """The intent as a JSON-ready dict."""
        return {
            "started_at": self.started_at.isoformat(),
            "host": self.host,
            "pid": self.pid,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Any) -> CreateIntent:
        """Rebuild from :meth:`as_dict` output. Raises ValueError on bad data."""
        if not isinstance(data, Mapping):
            raise ValueError("the record's intent is not an object")
        pid = data.get("pid")
        return cls(
            started_at=_time(data.get("started_at")),
            host=str(data.get("host", "")),
            pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else 0,
            reason=str(data.get("reason", "")),
        )


@attrs.frozen
class TokenRecord:
    """What a backend saves under a key: the current token and the ones it replaced.

    Attributes:
        access_token: the current token (hidden from ``repr``).
        profile_id: the profile it authenticates as, where known.
        saved_at: when this token was saved.
        history: earlier tokens for the same key, oldest first.
        profile: the profile JSON the service last sent for this token (a
            snapshot for ``init(validate=False)``), or None.
        fetched_at: when that snapshot was fetched.
        intent: a create in progress (or whose answer was lost) for this
            key; while it is set, ``access_token`` is the token it would
            replace, or ``""`` when there was none.

    Times are timezone-aware: a naive one (a hand-edited file, some databases)
    is read as UTC, here and in :class:`RetiredToken` and :class:`CreateIntent`.
    """

    access_token: str = attrs.field(repr=False)
    profile_id: str | None = None
    saved_at: datetime = attrs.field(factory=utcnow, converter=_utc)
    history: tuple[RetiredToken, ...] = ()
    profile: Mapping[str, Any] | None = attrs.field(default=None, repr=False, hash=False)
    fetched_at: datetime | None = attrs.field(default=None, converter=_utc_or_none)
    intent: CreateIntent | None = None

    def with_intent(self, intent: CreateIntent | None) -> TokenRecord:
        """This record with a create intent set (or cleared with None)."""
        return attrs.evolve(self, intent=intent)

    def tokens(self) -> tuple[str, ...]:
        """Every token this record holds, the current one first (to keep out of messages)."""
        return (self.access_token, *(item.access_token for item in self.history))

    def with_snapshot(self, profile: Mapping[str, Any], fetched_at: datetime) -> TokenRecord:
        """This record with a new profile snapshot (token and history unchanged)."""
        return attrs.evolve(self, profile=dict(profile), fetched_at=fetched_at)

    def replaced_by(self, access_token: str, profile_id: str | None, reason: str) -> TokenRecord:
        """A new record for ``access_token`` that keeps this one in its history.

        Saving the same token again keeps the record's history unchanged.
        """
        if access_token == self.access_token:
            return TokenRecord(access_token, profile_id or self.profile_id, utcnow(), self.history)
        retired = RetiredToken(self.access_token, self.profile_id, self.saved_at, utcnow(), reason)
        return TokenRecord(access_token, profile_id, utcnow(), (*self.history, retired))

    def as_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (it includes the tokens)."""
        return {
            "access_token": self.access_token,
            "profile_id": self.profile_id,
            "saved_at": self.saved_at.isoformat(),
            "history": [item.as_dict() for item in self.history],
            "profile": dict(self.profile) if self.profile is not None else None,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "intent": self.intent.as_dict() if self.intent is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenRecord:
        """Rebuild from :meth:`as_dict` output.

        Raises:
            ValueError: the data is not a record.
        """
        token = data.get("access_token")
        raw_intent = data.get("intent")
        intent = CreateIntent.from_dict(raw_intent) if raw_intent is not None else None
        if not isinstance(token, str) or not (token or intent):
            raise ValueError("the record has no access_token")
        profile_id = data.get("profile_id")
        history = data.get("history", [])
        if not isinstance(history, list):
            raise ValueError("the record's history is not a list")
        snapshot = data.get("profile")
        fetched_at = data.get("fetched_at")
        return cls(
            access_token=token,
            profile_id=profile_id if isinstance(profile_id, str) else None,
            saved_at=_time(data.get("saved_at")),
            history=tuple(RetiredToken.from_dict(item) for item in history),
            profile=snapshot if isinstance(snapshot, dict) else None,
            fetched_at=_time(fetched_at) if fetched_at else None,
            intent=intent,
        )


ENTRY_FORMAT = 1
"""The version of the entry :func:`encode_entry` writes."""


def encode_entry(key: StorageKey, record: TokenRecord, *, indent: int | None = None) -> str:
    """The JSON text a backend stores for ``key``: ``{"format": 1, "key": ..., "record": ...}``.

    It holds the tokens: never log it. Compact unless ``indent`` is given.
    """
    data = {"format": ENTRY_FORMAT, "key": key.as_dict(), "record": record.as_dict()}
    if indent is None:
        return json.dumps(data, separators=(",", ":"))
    return json.dumps(data, indent=indent)


def _tokens_in(data: Any) -> list[str]:
    """Every ``access_token`` string anywhere in parsed JSON."""
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


def decode_entry(text: str) -> tuple[StorageKey, TokenRecord]:
    """The key and record in :func:`encode_entry` output; check the key is the one you asked for.

    Raises:
        ValueError: the text is not an entry; its message never holds a token.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != ENTRY_FORMAT:
        raise ValueError("not a livelike token entry")
    stored, record = data.get("key"), data.get("record")
    if not isinstance(stored, dict) or not isinstance(record, dict):
        raise ValueError("the entry has no key and record")
    try:
        return StorageKey.from_dict(stored), TokenRecord.from_dict(record)
    except (ValueError, TypeError, AttributeError) as exc:
        from livelike.files import scrub

        raise ValueError(scrub(str(exc), *_tokens_in(data))) from None


class StorageBackend(abc.ABC):
    """Base class for storage backends. Subclass it, implement :meth:`get` (and,
    for a writable backend, :meth:`put` and :meth:`delete`), and register an
    instance through the ``livelike_register_storage`` hook.

    Class attributes to set:
        name: a short unique name users select it by (``storage="name"``).
        writable: whether :meth:`put` and :meth:`delete` work (default False).
        persistent: whether saved tokens outlive the process (default True).
        priority: place in the default chain, highest first. The built-ins
            are ``env`` 300, ``keyring`` 200 and ``file`` 100; a third-party
            backend below 100 (the default is 0) is consulted after them.
        lock_scope: what :meth:`lock` excludes (see :data:`LockScope`). The
            default lock of a persistent writable backend is a host-wide file
            lock (``"host"``); a backend with no lock is ``"process"``. A
            store several hosts share needs a ``"shared"`` lock of its own.

    Methods raise on failure; any exception means "unavailable", never
    "absent".
    """

    name: ClassVar[str] = "unnamed"
    writable: ClassVar[bool] = False
    persistent: ClassVar[bool] = True
    priority: ClassVar[int] = 0

    @property
    def lock_scope(self) -> LockScope:
        """What :meth:`lock` excludes: ``"host"`` for the default lock of a persistent
        writable backend, else ``"process"``. Override it with the scope of your own lock."""
        if type(self).lock is StorageBackend.lock and self.persistent and self.writable:
            return "host"
        return "process"

    def probe(self) -> None:  # noqa: B027 (optional: the default accepts)
        """Raise if this backend cannot work on this machine at all ("not viable").

        Called once per process before the backend joins the default chain;
        the exception's text is shown by ``livelike backends`` as the reason.
        A viable backend that fails later, during a lookup, makes that lookup
        unavailable instead. The default accepts.
        """

    def in_default_chain(self) -> bool:
        """Whether lookups consult this backend when the user chose no storage.

        Return False for a backend that only makes sense once configured or
        chosen (``memory``; a database without a URL), so that installing it
        costs nothing for users of the default chain. The default is True.
        """
        return True

    @abc.abstractmethod
    def get(self, key: StorageKey) -> TokenRecord | None:
        """Return the record saved under ``key``, or ``None`` when surely absent.

        Raises:
            StorageError: the store could not answer (never return None then).
        """

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        """Save ``record`` under ``key``, replacing what is there, atomically."""
        raise StorageError(f"storage backend {self.name!r} is read-only", backend=self.name)

    def delete(self, key: StorageKey) -> bool:
        """Remove (or move aside) the record under ``key``; True if there was one."""
        raise StorageError(f"storage backend {self.name!r} is read-only", backend=self.name)

    def keys(self) -> Iterator[StorageKey]:
        """Every key with a record, where the backend can list them."""
        return iter(())

    def lock(self, key: StorageKey) -> contextlib.AbstractContextManager[None]:
        """A lock held across get-or-create for ``key``, reentrant in one thread.

        The default, for a persistent writable backend, is a
        :class:`~livelike.files.FileLock` at
        ``$LIVELIKE_HOME/locks/<name>-<key digest>.lock``: it excludes the
        processes of this host that share that folder (scope ``"host"``).
        Other backends get no lock beyond the process (livelike always adds a
        lock between threads). A store several hosts share returns a lock that
        excludes them too (scope ``"shared"``); any lock must be released if
        its holder dies.
        """
        if not (self.persistent and self.writable):
            return contextlib.nullcontext()
        from livelike.files import LOCK_TIMEOUT, FileLock, default_home

        path = default_home() / "locks" / f"{self.name}-{key.digest}.lock"
        return FileLock(path, timeout=LOCK_TIMEOUT, backend=self.name, what=str(key))

    def describe(self) -> str:
        """Where tokens live, for messages (never a token)."""
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

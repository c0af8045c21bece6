"""The resolver: get-or-create for one key, the only place a profile is created for ``init``.

The flow, in order:

1. look the key up in the storage chain (found, absent or unavailable);
2. a saved token is validated with the service; a 401/403 that is the API's
   own answer rejects it, anything else is an error and nothing changes;
3. otherwise, under the key lock (threads, host, shared stores), look again,
   then write a durable *intent* ("create in progress") into the backend
   that will keep the token. Writing it proves the token can be saved: if it
   cannot be written, nothing is created;
4. create the profile, announce it (log, ``livelike_profile_created`` hook,
   audit log), and save its token over the intent.

If the create's answer is lost, the intent stays and every later ``init``
for the key raises :class:`~livelike.errors.CreateInDoubtError` instead of
creating again, until the loss is accepted (:meth:`Resolver.accept_lost`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

from livelike import _audit, _custom_ids, _recent, errors
from livelike._chain import Found, StorageChain
from livelike._profile import Profile
from livelike._service import ProfileService, restated, surely_not_created
from livelike.storage import CreateIntent, StorageBackend, StorageKey, TokenRecord, utcnow

__all__ = ["OnInvalidToken", "Resolver"]

logger = logging.getLogger("livelike")

OnInvalidToken = Literal["recreate", "raise"]


def _fetched(profile: Profile) -> datetime:
    return profile.fetched_at or datetime.now(timezone.utc)


def _with_token(previous: TokenRecord | None, profile: Profile, reason: str) -> TokenRecord:
    """The record for ``profile``'s token, keeping ``previous``'s token in history."""
    token = str(profile.access_token)
    if previous is None:
        record = TokenRecord(access_token=token, profile_id=profile.id)
    elif not previous.access_token:  # only an intent was there
        record = TokenRecord(token, profile.id, utcnow(), previous.history)
    else:
        record = previous.replaced_by(token, profile.id, reason)
    return record.with_snapshot(profile.data, _fetched(profile))


def _fresh(fetched_at: datetime | None, max_age: float) -> bool:
    """Whether a snapshot fetched at ``fetched_at`` is younger than ``max_age`` seconds."""
    if fetched_at is None:
        return False
    age = (datetime.now(timezone.utc) - fetched_at).total_seconds()
    return 0 <= age < max_age


def _cached(data: Mapping[str, Any], token: str, fetched_at: datetime | None) -> Profile:
    return Profile.from_json(data, access_token=token, source="cached", fetched_at=fetched_at)


class Resolver:
    """Get-or-create for the keys of one client, over one service and one chain."""

    def __init__(
        self,
        service: ProfileService,
        chain: StorageChain,
        on_invalid_token: OnInvalidToken,
        *,
        custom_ids: bool = False,
    ) -> None:
        self.service = service
        self.chain = chain
        self.on_invalid_token = on_invalid_token
        self.custom_ids = custom_ids

    # -- init -------------------------------------------------------------------------

    def resolve(
        self,
        key: StorageKey,
        *,
        create: bool,
        ephemeral: bool,
        validate: bool,
        max_age: float = 0.0,
    ) -> Profile:
        """The key's profile: the saved one if the service accepts it, else a new one.

        With ``max_age`` > 0, a snapshot validated less than ``max_age``
        seconds ago is returned as is (``source="cached"``): first from the
        chain's in-process LRU, else from storage.
        """
        recent = self.chain.recent
        if max_age > 0:
            hit = recent.get(key)
            if hit is not None and _fresh(hit.fetched_at, max_age):
                return _cached(hit.profile, hit.access_token, hit.fetched_at)
        seen = _recent.ticket()
        found = self.chain.find(key)
        if found is not None and found.record.intent is None:
            record = found.record
            fresh = max_age > 0 and _fresh(record.fetched_at, max_age)
            snapshot = Profile.from_snapshot(record) if not validate or fresh else None
            if snapshot is not None:  # None too for an unusable snapshot: ask the service
                if validate and record.profile is not None and record.fetched_at is not None:
                    cached = _recent.Snapshot(
                        record.access_token, record.profile, record.fetched_at
                    )
                    recent.put(key, cached, seen)
                return snapshot
            valid = self._validate_saved(found)
            if valid is not None:
                fetched = _fetched(valid)
                self.chain.refresh_snapshot(
                    key, record.access_token, valid.data, fetched, found=found, touch=max_age > 0
                )
                recent.put(key, _recent.Snapshot(record.access_token, valid.data, fetched), seen)
                return valid
        return self._get_or_create(key, found, create=create, ephemeral=ephemeral)

    def _validate_saved(self, found: Found) -> Profile | None:
        """The saved token's profile; None when the service rejected it and it may be replaced."""
        try:
            return self.service.fetch(found.record.access_token, source="saved")
        except errors.InvalidAccessTokenError as exc:
            if self.on_invalid_token == "raise":
                raise
            if not found.backend.writable:
                why = (
                    f"the token comes from read-only storage {found.backend.describe()}; "
                    "fix or remove it there: no profile was created"
                )
                raise restated(exc, errors.InvalidAccessTokenError, why) from exc
            logger.warning(
                "the service rejected the saved token of profile %s (%d); "
                "a new profile will replace it and the old token is kept in history",
                found.record.profile_id or "unknown",
                exc.status,
            )
            return None

    def _get_or_create(
        self, key: StorageKey, seen: Found | None, *, create: bool, ephemeral: bool
    ) -> Profile:
        chain = self.chain
        with chain.lock(key):
            current = chain.find(key)
            if current is None:
                chain.check_consulted(key)
            elif current.record.intent is not None:
                if not self.custom_ids or not create:
                    raise self.in_doubt(key, current)
                # By custom id the create is idempotent: retrying it settles the doubt.
                return self._retry_in_doubt(key, current)
            elif seen is None or current.record.access_token != seen.record.access_token:
                # Another thread or process saved a token meanwhile: use it.
                profile = self._validate_saved(current)
                if profile is not None:
                    return profile
            if not create:
                what = "the saved token was rejected" if current else "no saved profile"
                raise errors.NoSavedProfileError(
                    f"{what} for {key}, and create=False: nothing was created",
                    rejected=current is not None,
                )
            target = current.backend if current is not None else chain.primary
            if not ephemeral and (target is None or not target.persistent):
                why = (
                    f"storage {target.name!r} keeps tokens only while this process runs"
                    if target is not None
                    else "no storage backend of this chain can save a token"
                )
                raise errors.StorageError(
                    f"{why}, so a profile created for {key} would be forgotten (and billed "
                    "again) at exit: refusing to create it. Choose a persistent backend, or "
                    "pass ephemeral=True to accept it."
                )
            reason = "rejected saved token" if current is not None else "no saved token"
            previous = current.record if current is not None else None
            return self._create(key, target, previous, reason)

    def _create(
        self,
        key: StorageKey,
        target: StorageBackend | None,
        previous: TokenRecord | None,
        reason: str,
    ) -> Profile:
        """Intent, create, announce, save: the caller holds the key lock."""
        self.service.config()  # a failure to fetch it is no create: before the intent
        intent = CreateIntent(utcnow(), socket.gethostname(), os.getpid(), reason)
        if target is not None:
            pending = (previous or TokenRecord(access_token="")).with_intent(intent)
            self.chain.save(key, pending, target)  # StorageError: nothing created
            kept = self.chain.read(key, target)
            if kept is None or kept.intent != intent:
                raise errors.StorageError(
                    f"storage backend {target.name!r} accepted the record for {key} but did "
                    "not keep it, so a token saved there would be lost; nothing was created",
                    backend=target.name,
                )
        try:
            if self.custom_ids:
                profile = self.service.create_by_custom_id(key.subject, {})
            else:
                profile = self.service.create({})
        except Exception as exc:
            if target is None or surely_not_created(exc):
                if target is not None:
                    self._withdraw(key, target, previous)
                taken = _custom_ids.taken(self.service, key, exc) if self.custom_ids else exc
                if taken is not exc:
                    raise taken from exc
                raise
            self._record_in_doubt(key, intent, exc)
            then = (
                "the next init retries the create by custom id, which settles it"
                if self.custom_ids
                else "livelike will create nothing more for this key until the loss is "
                "accepted (`livelike token accept-lost` or client.accept_lost_create), since "
                "the service may already have made and billed that profile"
            )
            raise errors.CreateInDoubtError(
                f"the create for {key} may have reached the service, but its answer was lost "
                f"({exc}); {then}",
                started_at=intent.started_at.isoformat(),
                subject=key.subject,
                backend=target.name,
            ) from exc
        self.announce(profile, key, reason)
        if target is None:
            logger.warning(
                "profile %s is ephemeral: no writable storage keeps its token", profile.id
            )
            return profile
        try:
            self.chain.save(key, _with_token(previous, profile, "rejected by the service"), target)
        except errors.StorageError as exc:
            logger.error(
                "created profile %s but could not save its token: %s; "
                "keep the token from the error or it is lost (and billed again)",
                profile.id,
                exc,
            )
            raise errors.ProfileNotSavedError(
                f"created profile {profile.id} for {key} (it counts towards Monthly "
                f"Active Users) but could not save its token: {exc}. The profile and "
                "its token are on this error's .profile attribute",
                profile=profile,
                backend=exc.backend,
            ) from exc
        return profile

    def _retry_in_doubt(self, key: StorageKey, found: Found) -> Profile:
        """Settle an in-doubt create by custom id by creating again (the caller holds the lock).

        201: the first create never happened, and this one is saved. 409: it
        did; the intent is taken back (audited) and CustomIdTakenError tells
        how to recover the profile's token. Never a second profile.
        """
        record = found.record
        previous = record.with_intent(None) if record.access_token else None
        try:
            return self._create(key, found.backend, previous, "retry of an in-doubt create")
        except errors.CustomIdTakenError:
            _audit.record(key, "in-doubt create confirmed", "the service answered 409")
            raise

    def _withdraw(
        self, key: StorageKey, target: StorageBackend, previous: TokenRecord | None
    ) -> None:
        """Take back an intent whose create surely made nothing (a failure is only logged:
        the intent then stays, and the next ``init`` reports the create as in doubt)."""
        try:
            if previous is not None:
                self.chain.save(key, previous, target)
            else:
                self.chain.discard(key, target)
        except errors.StorageError as exc:
            logger.warning("could not take back the create intent for %s: %s", key, exc)

    def _record_in_doubt(self, key: StorageKey, intent: CreateIntent, exc: Exception) -> None:
        logger.error(
            "the create for %s may have made a profile whose answer was lost (%s); "
            "no other profile will be created for it until the loss is accepted",
            key,
            exc,
        )
        _audit.record(key, "create in doubt", intent.reason)

    def in_doubt(self, key: StorageKey, found: Found) -> errors.CreateInDoubtError:
        """The error for ``found``, a record with a create in doubt."""
        intent = found.record.intent
        assert intent is not None
        started = intent.started_at.isoformat()
        return errors.CreateInDoubtError(
            f"a create for {key} started at {started} on {intent.host} (process {intent.pid}) "
            "and its answer never came back: the service may have made and billed a profile "
            "whose token was lost, so nothing was created. If no profile can be recovered, "
            f"accept the loss with `livelike token accept-lost --subject {key.subject}` (or "
            "client.accept_lost_create(subject)) and init again; or import its token with "
            "init(access_token=...)",
            started_at=started,
            subject=key.subject,
            backend=found.backend.name,
        )

    def accept_lost(self, key: StorageKey) -> bool:
        """Accept that an in-doubt create's profile is lost; allow one new create.

        Audited. Returns False when the key had no in-doubt create.

        Raises:
            StorageError: a backend failed.
        """
        with self.chain.lock(key):
            found = self.chain.find(key)
            if found is None or found.record.intent is None:
                return False
            record = found.record
            if record.access_token:
                self.chain.save(key, record.with_intent(None), found.backend)
            else:
                self.chain.discard(key, found.backend)
            _audit.record(key, "lost create accepted", found.record.intent.reason)
            logger.warning("accepted the loss of the in-doubt create for %s", key)
            return True

    # -- saving a given token ---------------------------------------------------------

    def remember(self, key: StorageKey, profile: Profile, reason: str) -> None:
        """Save ``profile``'s token under ``key`` in the primary, keeping an old one in history.

        A given token also settles an in-doubt create for the key.

        Raises:
            StorageError: the record could not be read or saved.
        """
        primary = self.chain.primary
        if primary is None:
            logger.debug("no writable storage backend: the given token is not saved")
            return
        with self.chain.lock(key):
            existing = self.chain.read(key, primary)
            self.chain.save(key, _with_token(existing, profile, reason), primary)

    def announce(self, profile: Profile, key: StorageKey, reason: str) -> None:
        """Log a creation and tell the plugins (the audit log is one of them)."""
        logger.info(
            "created LiveLike profile %s for %s (%s); it counts towards Monthly Active Users",
            profile.id,
            key,
            reason,
        )
        from livelike._plugins import registry

        registry().call_each(
            "livelike_profile_created", profile_id=profile.id, key=key, reason=reason
        )

"""Client-generated access tokens: ``init(subject=S)`` with the application's client secret.

livelike signs an HS256 token for custom id ``S`` (see :mod:`livelike._jwt`)
and fetches the profile with it; the service creates the profile on first
use. Any number of hosts resolve one subject to one profile with no shared
storage, so storage here is only a cache of the profile snapshot (for
``validate=False``). The secret itself is never saved, logged or shown.

Whether the service *created* the profile for this request cannot be told
for sure from its answer (it is a plain ``GET``). livelike announces a
creation (log, audit, plugins) when no record was saved for the key on this
host and the profile's ``created_at`` is at most :data:`CREATED_WINDOW`
seconds older than the request: a heuristic that depends on the clocks.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import attrs

from livelike import _jwt, errors
from livelike._chain import StorageChain
from livelike._profile import Profile
from livelike._resolver import Resolver
from livelike._service import ProfileService, restated
from livelike.storage import StorageKey, TokenRecord, utcnow

__all__ = ["CREATED_WINDOW", "SignedResolver"]

logger = logging.getLogger("livelike")

CREATED_WINDOW = 30.0
"""Seconds: a profile created at most this long before the request counts as created by it."""


class SignedResolver:
    """Resolve subjects with tokens signed by the client secret (never stored)."""

    def __init__(self, resolver: Resolver, secret: str, token_ttl: float | None) -> None:
        self.service: ProfileService = resolver.service
        self.chain: StorageChain = resolver.chain
        self._resolver = resolver
        self._secret = secret
        self.token_ttl = token_ttl

    def __repr__(self) -> str:
        return f"<SignedResolver client_id={self.service.client_id!r}>"

    def token(self, subject: str) -> str:
        """A fresh token for ``subject``."""
        claims = _jwt.claims_for(self.service.client_id, subject, ttl=self.token_ttl)
        return _jwt.sign(claims, self._secret)

    def resolve(self, key: StorageKey, *, validate: bool) -> Profile:
        """The profile of custom id ``key.subject``, created by the service on first use.

        Raises:
            ClientTokenRejectedError: the service refused the signed token.
            StorageError: the cache could not be read.
        """
        token = self.token(key.subject)
        found = self.chain.find(key)
        cached = Profile.from_snapshot(found.record) if found is not None and not validate else None
        if cached is not None:
            return attrs.evolve(cached, access_token=token)  # the fresh token, not the stored one
        started = utcnow()
        try:
            profile = self.service.fetch(token, source="signed")
        except errors.InvalidAccessTokenError as exc:
            why = (
                "the service refused the token livelike signed with the client secret: check "
                "the client secret, and this host's clock if the token has an iat or exp; no "
                "profile was created"
            )
            raise restated(exc, errors.ClientTokenRejectedError, why) from None
        if found is None and _just_created(profile, started):
            profile = Profile.from_json(
                profile.data, access_token=token, source="created", fetched_at=profile.fetched_at
            )
            self._resolver.announce(profile, key, "first use of a client-generated token")
        self._cache(key, found.record if found else None, profile, token)
        return profile

    def _cache(
        self, key: StorageKey, previous: TokenRecord | None, profile: Profile, token: str
    ) -> None:
        """Keep the snapshot (a failure is only logged: the secret recovers it any time)."""
        primary = self.chain.primary
        if primary is None:
            return
        fetched = profile.fetched_at or utcnow()
        if previous is not None and previous.profile_id == profile.id:
            record = TokenRecord(token, profile.id, previous.saved_at, previous.history)
        elif previous is not None:
            record = previous.replaced_by(token, profile.id, "another profile for the custom id")
        else:
            record = TokenRecord(access_token=token, profile_id=profile.id)
        try:
            with self.chain.lock(key):
                self.chain.save(key, record.with_snapshot(profile.data, fetched), primary)
        except errors.StorageError as exc:
            logger.warning("could not cache the profile snapshot for %s: %s", key, exc)


def _just_created(profile: Profile, started: datetime) -> bool:
    created = profile.created_at
    if created is None or created.tzinfo is None:
        return False
    return created >= started - timedelta(seconds=CREATED_WINDOW)

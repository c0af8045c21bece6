"""Sign-up adoption: the anonymous visitor's profile becomes the signed-up user's.

LiveLike's guide suggests creating a profile before sign-up (under a session
subject) and keeping it once the visitor signs up, so what they earned is
kept. :func:`adopt` moves the visitor's record to the user's key under both
keys' locks (taken in digest order, so two adoptions never deadlock). Nothing
is deleted and nothing is created, so nothing is billed.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Literal

import attrs

from livelike import _audit, _custom_ids, errors
from livelike._chain import Found, StorageChain
from livelike._resolver import Resolver
from livelike.storage import RetiredToken, StorageKey, TokenRecord, utcnow

__all__ = ["Adoption", "adopt"]

logger = logging.getLogger("livelike")


@attrs.frozen
class Adoption:
    """What :meth:`~livelike.LiveLike.adopt` did.

    Attributes:
        kept: ``"visitor"`` when the visitor's profile became the user's,
            ``"user"`` when the user already had one (the visitor's token is
            then in the user's record history).
        profile_id: the profile the user's key now holds.
        other_profile_id: the visitor's profile when the user's was kept, else None.
    """

    kept: Literal["visitor", "user"]
    profile_id: str | None
    other_profile_id: str | None = None


def adopt(
    resolver: Resolver, visitor: StorageKey, user: StorageKey, *, custom_ids: bool
) -> Adoption:
    """Move ``visitor``'s record to ``user``'s key (see the module docstring).

    Raises:
        NoSavedProfileError: the visitor has no saved token.
        CreateInDoubtError: either key has a create in doubt.
        CustomIdTakenError: with custom ids, the user's custom id has a
            profile whose token is not saved here.
        StorageError: a backend failed; the records are as they were.
    """
    chain = resolver.chain
    first, second = sorted((visitor, user), key=lambda k: k.digest)
    with chain.lock(first), chain.lock(second):
        came = chain.find(visitor)
        if came is None or not came.record.access_token:
            raise errors.NoSavedProfileError(f"no saved token for {visitor}: nothing to adopt")
        there = chain.find(user)
        for key, found in ((visitor, came), (user, there)):
            if found is not None and found.record.intent is not None:
                raise resolver.in_doubt(key, found)
        if there is not None:
            result = _keep_user(chain, user, there, came.record)
        else:
            result = _move_visitor(resolver, user, came, custom_ids=custom_ids)
        chain.forget(visitor)
    _audit.record(visitor, "adopted", f"moved to {user.subject!r} ({result.kept} kept)")
    _audit.record(user, "adopted", f"from {visitor.subject!r} ({result.kept} kept)")
    logger.info("adopted %s into %s: kept the %s's profile", visitor, user, result.kept)
    return result


def _keep_user(
    chain: StorageChain, user: StorageKey, there: Found, visitor: TokenRecord
) -> Adoption:
    """The user already has a profile: keep it, and the visitor's token in its history."""
    record = there.record
    retired = RetiredToken(
        visitor.access_token, visitor.profile_id, visitor.saved_at, utcnow(), "adopted visitor"
    )
    kept = attrs.evolve(record, history=(*record.history, *visitor.history, retired))
    chain.save(user, kept, there.backend)
    return Adoption("user", record.profile_id, visitor.profile_id)


def _move_visitor(
    resolver: Resolver, user: StorageKey, came: Found, *, custom_ids: bool
) -> Adoption:
    """The user has none: the visitor's record (history and snapshot) becomes the user's."""
    chain, record = resolver.chain, came.record
    target = came.backend if came.backend.writable else chain.primary
    if target is None:
        raise errors.StorageError(f"no writable storage backend can keep the token of {user}")
    if custom_ids and record.profile_id:
        service = resolver.service
        with contextlib.suppress(errors.NotFoundError):
            taken = service.profile_by_custom_id(user.subject)
            if taken.id != record.profile_id:
                raise _custom_ids.taken_by(taken, user)
        updated = service.update_by_id(record.profile_id, {"custom_id": user.subject})
        record = record.with_snapshot(updated.data, updated.fetched_at or utcnow())
    chain.save(user, attrs.evolve(record, saved_at=utcnow()), target)
    return Adoption("visitor", record.profile_id)

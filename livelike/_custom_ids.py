"""Custom profile ids: what a refused create by custom id means.

With ``custom_ids=True`` the ``init`` subject is the profile's custom id and
the resolver creates through ``POST profile-by-custom-id``. The service
answers 409 when the custom id is taken: the profile exists, and if its token
is not saved here :func:`taken` turns the answer into a
:class:`~livelike.errors.CustomIdTakenError` carrying the profile.
"""

from __future__ import annotations

import logging

from livelike import errors
from livelike._profile import Profile
from livelike._service import ProfileService
from livelike.storage import StorageKey

__all__ = ["taken", "taken_by"]

logger = logging.getLogger("livelike")


def taken(service: ProfileService, key: StorageKey, exc: Exception) -> Exception:
    """``exc`` itself, or a CustomIdTakenError when it is the service's 409 to a create."""
    if not isinstance(exc, errors.APIError) or exc.status != 409:
        return exc
    profile: Profile | None
    try:
        profile = service.profile_by_custom_id(key.subject)
    except errors.LiveLikeError as lookup:
        logger.warning("could not look up the profile of custom id %r: %s", key.subject, lookup)
        profile = None
    return taken_by(profile, key)


def taken_by(profile: Profile | None, key: StorageKey) -> errors.CustomIdTakenError:
    """The error for custom id ``key.subject``, held by ``profile`` (None: not looked up)."""
    which = f"profile {profile.id} ({profile.nickname!r})" if profile else "a profile"
    return errors.CustomIdTakenError(
        f"{which} already has custom id {key.subject!r}, but its access token is not saved "
        f"here ({key}), so nothing was created. Recover it with the application's client "
        "secret (LiveLike(client_id, client_secret=...), on servers only), or import its "
        "token with init(access_token=..., subject=...)",
        custom_id=key.subject,
        profile=profile,
    )

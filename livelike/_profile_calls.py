"""The profile calls of :class:`~livelike.LiveLike` (the JavaScript SDK's, and by id).

A mixin: :class:`ProfileCalls` holds the calls that act on a profile once the
client is built (get, update, create, look up, delete); the client owns the
parts they use (:mod:`livelike._client`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from livelike import _audit, errors
from livelike import _validate as check
from livelike._profile import Profile
from livelike._resolver import Resolver
from livelike._service import ProfileService
from livelike.storage import StorageKey

__all__ = ["ProfileCalls", "profile_body"]

logger = logging.getLogger("livelike")


def profile_body(
    nickname: str | None, custom_data: str | None, attributes: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The JSON body of a create or an update; every value checked before any request."""
    body: dict[str, Any] = {}
    if nickname is not None:
        body["nickname"] = check.nickname(nickname)
    if custom_data is not None:
        body["custom_data"] = check.custom_data(custom_data)
    if attributes is not None:
        body["attributes"] = [
            {"key": key, "value": value} for key, value in check.attributes(attributes).items()
        ]
    return body


class ProfileCalls:
    """Calls on profiles; mixed into :class:`~livelike.LiveLike`, which provides the parts."""

    _service: ProfileService
    _subject: str
    _profile: Profile | None
    _state_lock: threading.RLock

    def _resolve(self) -> Resolver:
        raise NotImplementedError

    def _key(self, subject: str) -> StorageKey:
        raise NotImplementedError

    def _current_token(self, access_token: str | None) -> str:
        raise NotImplementedError

    def _set_current(self, profile: Profile, subject: str) -> Profile:
        raise NotImplementedError

    def _refresh(self, profile: Profile) -> None:
        raise NotImplementedError

    def _current_unless_given(self, profile: Profile, access_token: str | None) -> Profile:
        """Make the service's answer about the current profile current (and refresh its
        snapshot); an answer about a given ``access_token`` changes nothing here."""
        if access_token is None:
            self._set_current(profile, self._subject)
            self._refresh(profile)
        return profile

    # -- the JavaScript SDK's calls -----------------------------------------------------

    def get_user_profile(self, *, access_token: str | None = None) -> Profile:
        """Fetch the current profile from the service.

        Uses the token from the last :meth:`init` unless ``access_token`` is given.

        Raises:
            NotInitializedError: no ``init`` yet and no ``access_token``.
            InvalidAccessTokenError: the token was rejected.
        """
        profile = self._service.fetch(self._current_token(access_token), source="service")
        return self._current_unless_given(profile, access_token)

    def update_user_profile(
        self,
        *,
        nickname: str | None = None,
        custom_data: str | None = None,
        attributes: Mapping[str, str] | None = None,
        access_token: str | None = None,
    ) -> Profile:
        """Change the current profile's nickname, custom data and/or attributes.

        The returned profile keeps the access token (the service's answer lacks it).

        Args:
            nickname: 1 to 20 characters.
            custom_data: any string (serialize structured data yourself).
            attributes: string keys to string values, sent as
                ``[{"key": ..., "value": ...}]`` (the service's list replaces the old one).
            access_token: act on this token's profile instead of the current one.

        Raises:
            InvalidArgumentError: nothing to change, or a bad value (before any request).
            NotInitializedError: no ``init`` yet and no ``access_token``.
            BadRequestError: the service refused a value.
        """
        body = profile_body(nickname, custom_data, attributes)
        if not body:
            raise errors.InvalidArgumentError(
                "update_user_profile needs nickname or custom_data, or attributes"
            )
        profile = self._service.update(self._current_token(access_token), body)
        return self._current_unless_given(profile, access_token)

    def create_user_profile(
        self,
        *,
        nickname: str | None = None,
        custom_data: str | None = None,
        attributes: Mapping[str, str] | None = None,
        save: bool = False,
        subject: str | None = None,
    ) -> Profile:
        """Create a new profile, even if one is saved, and return it with its token.

        It counts towards Monthly Active Users. The saved token is left alone
        unless ``save=True``, which saves the new token under ``subject``
        (default: the subject of the last :meth:`init`), keeps the old one in
        history, and makes the new profile current.

        Raises:
            InvalidArgumentError: a bad value (before any request).
            ProfileNotSavedError: ``save=True`` and the save failed; the
                profile is on the error.
        """
        body = profile_body(nickname, custom_data, attributes)
        key = self._key(check.subject(subject if subject is not None else self._subject))
        resolver = self._resolve()
        profile = self._service.create(body)
        resolver.announce(profile, key, "explicit create")
        if save:
            try:
                resolver.remember(key, profile, "replaced by a given token")
            except errors.StorageError as exc:
                raise errors.ProfileNotSavedError(
                    f"created profile {profile.id} but could not save its token: {exc}",
                    profile=profile,
                    backend=exc.backend,
                ) from exc
            self._set_current(profile, key.subject)
        return profile

    def get_profile(self, profile_id: str) -> Profile:
        """Fetch any profile's public view by id (no token needed).

        Raises:
            NotFoundError: no such profile.
        """
        return self._service.public_profile(_profile_id(profile_id))

    def get_profile_by_custom_id(self, custom_id: str) -> Profile:
        """Fetch the public view (no token) of the profile with this custom id.

        Raises:
            InvalidArgumentError: a malformed custom id (before any request).
            NotFoundError: no profile has that custom id.
        """
        return self._service.profile_by_custom_id(check.custom_id(custom_id))

    def delete_profile(self, profile_id: str) -> list[str]:
        """Delete a profile at the service (``DELETE /profiles/{id}/``) and forget its token.

        The saved token of every key of this client that held the profile is
        moved aside (the file backend keeps it in ``forgotten/``), and the
        deletion is recorded in the audit log. Returns the subjects forgotten.

        Raises:
            InvalidArgumentError: a malformed id (before any request).
            NotFoundError: no such profile (nothing is forgotten).
            StorageError: a backend failed while forgetting (the profile is deleted).
        """
        profile_id = _profile_id(profile_id)
        self._service.delete_by_id(profile_id)
        chain = self._resolve().chain
        forgotten: list[str] = []
        for key in chain.keys_holding(self._key("default"), profile_id):
            with chain.lock(key):
                chain.forget(key)
            _audit.record(key, "profile deleted", f"profile {profile_id} deleted at the service")
            forgotten.append(key.subject)
        with self._state_lock:
            if self._profile is not None and self._profile.id == profile_id:
                self._profile = None
        logger.info("deleted profile %s; forgot the tokens of %s", profile_id, forgotten or "none")
        return forgotten


def _profile_id(value: Any) -> str:
    if not isinstance(value, str) or not value or "/" in value:
        raise errors.InvalidArgumentError("profile_id must be a non-empty string without '/'")
    return value

"""The :class:`LiveLike` client: init, get, update and create user profiles."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from livelike import _breadcrumbs, errors
from livelike import _validate as check
from livelike._appconfig import DEFAULT_TTL as DEFAULT_CONFIG_TTL
from livelike._appconfig import AppConfigCache
from livelike._chain import Found, StorageChain, StorageSpec, resolve
from livelike._profile import Profile
from livelike.storage import StorageKey, TokenRecord

if TYPE_CHECKING:
    import requests

    from livelike._transport import Answer, RetryPolicy, Transport

__all__ = ["DEFAULT_API_URL", "DEFAULT_TIMEOUT", "LiveLike"]

logger = logging.getLogger("livelike")

DEFAULT_API_URL = "https://cf-blast.livelikecdn.com/api/v1"
API_URL_VARIABLE = "LIVELIKE_API_URL"
DEFAULT_TIMEOUT = (3.05, 10.0)

OnInvalidToken = Literal["recreate", "raise"]
_CONFIG_ERRORS: Mapping[int, type[errors.APIError]] = {
    400: errors.UnknownClientIdError,
    404: errors.UnknownClientIdError,
}


def _profile_from(answer: Answer, method: str, **kwargs: Any) -> Profile:
    """The profile in a successful answer; an answer without one is an error, not a crash."""
    try:
        return Profile.from_json(answer.body, **kwargs)
    except ValueError as exc:
        raise errors.LiveLikeError(
            f"{method} on the profile URL answered {answer.status} without a profile: {exc}"
        ) from exc


def _fetched(profile: Profile) -> datetime:
    return profile.fetched_at or datetime.now(timezone.utc)


class LiveLike:
    """A client for one LiveLike application (client id).

    It owns one ``requests.Session``; use it as a context manager or call
    :meth:`close`. Saved tokens are looked up and saved through the storage
    backends (see :mod:`livelike.storage`).

    Args:
        client_id: the application's client id.
        api_url: the API base URL; default ``$LIVELIKE_API_URL`` or production.
            Plain ``http://`` is accepted only for loopback hosts.
        storage: backend name(s) or instance(s) to use instead of the default
            chain (``"file"``, ``"env,file"``, ``[MyBackend()]``).
        timeout: seconds, or ``(connect, read)`` seconds, for every request.
        retry: how idempotent requests are retried (see ``RetryPolicy``).
        on_invalid_token: when the service rejects a saved token,
            ``"recreate"`` creates a new profile (the old token is kept in the
            record's history) and ``"raise"`` raises
            :class:`~livelike.errors.InvalidAccessTokenError`.
        session: a ``requests.Session`` to use (the client closes it).
        config_ttl: seconds the application config is reused from the disk
            cache (``$LIVELIKE_HOME/cache``) before it is fetched again; 0
            disables the cache.

    Raises:
        InvalidArgumentError: an argument is malformed (no request is made).

    Example::

        with livelike.LiveLike(client_id) as client:
            profile = client.init(subject="user-42")
            client.update_user_profile(nickname="Ada")
    """

    def __init__(
        self,
        client_id: str,
        *,
        api_url: str | None = None,
        storage: StorageSpec = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        on_invalid_token: OnInvalidToken = "recreate",
        session: requests.Session | None = None,
        config_ttl: float = DEFAULT_CONFIG_TTL,
    ) -> None:
        self.client_id = check.client_id(client_id)
        name, source = "api_url", api_url
        if source is None:
            source = os.environ.get(API_URL_VARIABLE) or DEFAULT_API_URL
            name = API_URL_VARIABLE if os.environ.get(API_URL_VARIABLE) else name
        self.api_url = check.url(source, name=name)
        self.api_origin = check.origin(self.api_url)
        self.timeout = check.timeout(timeout)
        if on_invalid_token not in ("recreate", "raise"):
            raise errors.InvalidArgumentError(
                f"on_invalid_token must be 'recreate' or 'raise', not {on_invalid_token!r}"
            )
        self.on_invalid_token: OnInvalidToken = on_invalid_token
        self._storage_spec = storage
        self._chain: StorageChain | None = None
        if storage is not None:
            self._storage()  # unknown names fail now, before any request
        self._retry = retry
        self._session = session
        self._transport: Transport | None = None
        if not isinstance(config_ttl, int | float) or isinstance(config_ttl, bool):
            raise errors.InvalidArgumentError("config_ttl must be a number of seconds")
        self.config_ttl = float(config_ttl)
        self._config: dict[str, Any] | None = None
        self._config_cached = False
        self._state_lock = threading.RLock()
        self._profile: Profile | None = None
        self._subject = "default"

    def __repr__(self) -> str:
        return f"<LiveLike client_id={self.client_id!r} api_url={self.api_url!r}>"

    def __enter__(self) -> LiveLike:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session. The client can still be used; it opens a new one."""
        with self._state_lock:
            if self._transport is not None:
                self._transport.close()
                self._transport = None
                self._session = None

    @property
    def profile(self) -> Profile | None:
        """The profile set by the last :meth:`init`, update or saved create, or None."""
        return self._profile

    # -- plumbing -------------------------------------------------------------------

    def _storage(self) -> StorageChain:
        if self._chain is None:
            from livelike._plugins import registry

            self._chain = resolve(self._storage_spec, registry())
        return self._chain

    def _http(self) -> Transport:
        with self._state_lock:
            if self._transport is None:
                from livelike._transport import RetryPolicy, Transport

                self._transport = Transport(
                    timeout=self.timeout,
                    retry=self._retry or RetryPolicy(),
                    session=self._session,
                )
            return self._transport

    def _config_cache(self) -> AppConfigCache:
        from livelike.backends.file import default_home

        return AppConfigCache(default_home() / "cache", self.config_ttl)

    def _app_config(self) -> dict[str, Any]:
        config = self._config
        if config is not None:
            return config
        cached = self._config_cache().get(self.api_origin, self.client_id)
        if cached is not None and self._usable_config(cached):
            self._config, self._config_cached = cached, True
            return cached
        url = f"{self.api_url}/applications/{self.client_id}"
        body = self._http().request("GET", url, errors_by_status=_CONFIG_ERRORS).body
        if not isinstance(body, dict):
            raise errors.LiveLikeError(f"GET {url} did not answer with a JSON object")
        check.url(body.get("profile_url"), name="the application config's profile_url")
        self._config_cache().put(self.api_origin, self.client_id, body)
        self._config, self._config_cached = body, False
        return body

    @staticmethod
    def _usable_config(config: dict[str, Any]) -> bool:
        try:
            check.url(config.get("profile_url"), name="profile_url")
        except errors.InvalidArgumentError:
            return False
        return True

    def _profile_call(self, method: str, *, token: str | None = None, body: Any = None) -> Answer:
        """A call on the profile URL; a cached config whose URL 404s is refetched once."""
        http = self._http()
        retry_sent = method != "POST"
        url = str(self._app_config()["profile_url"])
        try:
            return http.request(method, url, token=token, body=body, retry_sent=retry_sent)
        except errors.NotFoundError:
            if not self._config_cached:
                raise
        logger.info("the cached application config no longer works; fetching it again")
        self._config_cache().drop(self.api_origin, self.client_id)
        self._config = None
        url = str(self._app_config()["profile_url"])
        return http.request(method, url, token=token, body=body, retry_sent=retry_sent)

    def _key(self, subject: str) -> StorageKey:
        return StorageKey(self.api_origin, self.client_id, subject)

    def _fetch(self, token: str, source: str) -> Profile:
        answer = self._profile_call("GET", token=token)
        return _profile_from(answer, "GET", access_token=token, source=source)

    def _post_profile(self, body: dict[str, Any]) -> Profile:
        answer = self._profile_call("POST", body=body)
        profile = _profile_from(answer, "POST", source="created")
        if not profile.access_token:
            raise errors.LiveLikeError(
                f"the service created profile {profile.id} but sent no access token"
            )
        return profile

    def _announce(self, profile: Profile, key: StorageKey, reason: str) -> None:
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

    def _set_current(self, profile: Profile, subject: str) -> Profile:
        with self._state_lock:
            self._profile = profile
            self._subject = subject
        return profile

    def _current_token(self, access_token: str | None) -> str:
        if access_token is not None:
            return check.access_token(access_token)
        profile = self._profile
        if profile is None or not profile.access_token:
            raise errors.NotInitializedError(
                "no profile yet: call init() first, or pass access_token"
            )
        return profile.access_token

    # -- init -----------------------------------------------------------------------

    def init(
        self,
        access_token: str | None = None,
        *,
        subject: str = "default",
        persist: bool = True,
        create: bool = True,
        ephemeral: bool = False,
        validate: bool = True,
    ) -> Profile:
        """Return the user's profile, creating one only when surely none is saved.

        With ``access_token``: loads that token's profile and (unless
        ``persist=False``) saves the token under ``subject``; a different
        token saved there before is kept in the record's history.

        Without: looks the token up in the storage chain. A valid saved token
        gives its profile. When every backend answers "absent", a profile is
        created under a lock (so concurrent callers create one between them),
        its token is saved before returning, and the creation is logged as
        counting towards Monthly Active Users.

        Args:
            access_token: a token to use instead of a saved one.
            subject: whose profile this is (your user id in a service).
            persist: save a given ``access_token``.
            create: when False, raise instead of creating a profile.
            ephemeral: allow creating a profile whose token can only be kept
                in memory (it would be forgotten, and billed again, next run).
            validate: when False and a token is saved with a profile snapshot,
                return that snapshot without any request (``source="cached"``,
                ``fetched_at`` tells its age). The token is not checked.

        Raises:
            InvalidArgumentError: a malformed argument (before any request).
            StorageError: a backend could not answer or save; nothing created.
            ProfileNotSavedError: a profile was created but not saved; it is
                on the error's ``profile``.
            InvalidAccessTokenError: the given token, or a saved one with
                ``on_invalid_token="raise"``, was rejected.
            NoSavedProfileError: ``create=False`` and nothing is saved.
            NetworkError, ServiceError, RateLimitedError: the service could
                not be used; saved tokens are untouched and nothing was created.
        """
        subject = check.subject(subject)
        key = self._key(subject)
        if access_token is not None:
            token = check.access_token(access_token)
            profile = self._fetch(token, source="given")
            if persist:
                self._remember(key, profile)
            return self._set_current(profile, subject)
        chain = self._storage()
        found = chain.find(key)
        snapshot = Profile.from_snapshot(found.record) if found and not validate else None
        if snapshot is not None:  # None too for an unusable snapshot: ask the service
            return self._set_current(snapshot, subject)
        valid = self._validate_saved(found) if found is not None else None
        if found is not None and valid is not None:
            self._refresh_snapshot(key, valid, found)
        if valid is None:
            valid = self._get_or_create(chain, key, found, create=create, ephemeral=ephemeral)
        return self._set_current(valid, subject)

    def _refresh_snapshot(self, key: StorageKey, profile: Profile, found: Found | None) -> None:
        """Save the profile as the snapshot beside its token, when it changed.

        A snapshot is only a cache: failing to save it is logged, never raised.
        """
        if found is None:
            chain = self._storage()
            try:
                found = chain.find(key)
            except errors.StorageError as exc:
                logger.debug("profile snapshot not refreshed: %s", exc)
                return
        if found is None or not found.backend.writable:
            return
        record = found.record
        if record.access_token != profile.access_token or record.profile == profile.data:
            return
        try:
            with self._storage().lock(key):
                current = found.backend.get(key)
                if current is None or current.access_token != profile.access_token:
                    return
                found.backend.put(key, current.with_snapshot(profile.data, _fetched(profile)))
        except Exception as exc:
            logger.warning(
                "could not refresh the saved profile snapshot for %s: %s",
                key,
                check.scrub(str(exc), record),
            )

    def _validate_saved(self, found: Found) -> Profile | None:
        """The saved token's profile; None when rejected and it may be replaced."""
        try:
            return self._fetch(found.record.access_token, source="saved")
        except errors.InvalidAccessTokenError as exc:
            if self.on_invalid_token == "raise":
                raise
            if not found.backend.writable:
                raise errors.InvalidAccessTokenError(
                    status=exc.status,
                    detail=f"{exc.detail} (the token comes from read-only storage "
                    f"{found.backend.describe()}; fix or remove it there: no profile was created)",
                    method=exc.method,
                    path=exc.path,
                    request_id=exc.request_id,
                    body=exc.body,
                ) from exc
            logger.warning(
                "the service rejected the saved token of profile %s (%d); "
                "a new profile will replace it and the old token is kept in history",
                found.record.profile_id or "unknown",
                exc.status,
            )
            return None

    def _get_or_create(
        self,
        chain: StorageChain,
        key: StorageKey,
        seen: Found | None,
        *,
        create: bool,
        ephemeral: bool,
    ) -> Profile:
        with chain.lock(key):
            current = chain.find(key)
            if current is None:
                self._check_saved_elsewhere(chain, key)
            if current is not None and (
                seen is None or current.record.access_token != seen.record.access_token
            ):
                # Another thread or process saved a token meanwhile: use it.
                profile = self._validate_saved(current)
                if profile is not None:
                    return profile
            if not create:
                what = "the saved token was rejected" if current else "no saved profile"
                raise errors.NoSavedProfileError(
                    f"{what} for {key}, and create=False: nothing was created"
                )
            target = current.backend if current is not None else chain.primary
            if not ephemeral and (target is None or not (target.persistent or chain.explicit)):
                raise errors.StorageError(
                    f"no storage that outlives this process can save a token for {key}; "
                    "refusing to create a profile that would be forgotten (and billed again) "
                    "at exit. Choose a writable backend, or pass ephemeral=True to accept it."
                )
            reason = "rejected saved token" if current is not None else "no saved token"
            profile = self._post_profile({})
            token = str(profile.access_token)
            if current is not None:
                record = current.record.replaced_by(token, profile.id, "rejected by the service")
            else:
                record = TokenRecord(access_token=token, profile_id=profile.id)
            record = record.with_snapshot(profile.data, _fetched(profile))
            self._announce(profile, key, reason)
            if target is None:
                logger.warning(
                    "profile %s is ephemeral: no writable storage keeps its token", profile.id
                )
                return profile
            try:
                chain.save(key, record, target)
                if target.persistent:
                    _breadcrumbs.remember(key, target.name)
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

    def _check_saved_elsewhere(self, chain: StorageChain, key: StorageKey) -> None:
        """Raise if ``key``'s token was last saved in a backend this chain does not consult."""
        where = _breadcrumbs.saved_in(key)
        if where is None or any(b.name == where for b in chain.backends):
            return
        from livelike._plugins import registry

        backend = registry().backends.get(where)
        viability = registry().viability(backend) if backend is not None else None
        if viability is None:
            why = "it is not installed, or its plugin was not loaded"
        elif not viability.viable:
            why = f"it is not usable here: {viability.reason}"
        else:
            why = "it was not chosen this time"
        raise errors.StorageError(
            f"the token for {key} was saved in storage backend {where!r}, which this run "
            f"does not consult ({why}), so no profile was created. Choose it (storage= or "
            f"LIVELIKE_STORAGE), move the token with `livelike token migrate`, or drop it "
            "with `livelike token forget`.",
            backend=where,
        )

    def _remember(self, key: StorageKey, profile: Profile) -> None:
        """Save a given token under ``key``, keeping a different old one in history."""
        chain = self._storage()
        primary = chain.primary
        if primary is None:
            logger.debug("no writable storage backend: the given token is not saved")
            return
        token = str(profile.access_token)
        with chain.lock(key):
            try:
                existing = primary.get(key)
            except Exception as exc:
                raise errors.StorageError(
                    f"storage backend {primary.name!r} could not read {key}, so the given "
                    f"token was not saved over it: {exc}",
                    backend=primary.name,
                ) from exc
            if existing is None:
                record = TokenRecord(access_token=token, profile_id=profile.id)
            else:
                record = existing.replaced_by(token, profile.id, "replaced by a given token")
            chain.save(key, record.with_snapshot(profile.data, _fetched(profile)), primary)
            if primary.persistent:
                _breadcrumbs.remember(key, primary.name)

    def saved_record(self, subject: str = "default") -> TokenRecord | None:
        """The record saved for ``subject`` (token and history), or None; no request is made.

        Raises:
            StorageError: no backend had a record and one could not be read.
        """
        found = self._storage().find(self._key(check.subject(subject)))
        return found.record if found is not None else None

    def forget(self, subject: str = "default") -> list[str]:
        """Stop using the token saved for ``subject``; return the backends that had one.

        Backends keep what they can: the file backend moves the file into its
        ``forgotten/`` folder rather than erasing the token. The next
        :meth:`init` for ``subject`` creates a new profile.

        Raises:
            StorageError: a backend failed to forget.
        """
        key = self._key(check.subject(subject))
        chain = self._storage()
        forgotten = []
        with chain.lock(key):
            for backend in chain.backends:
                if not backend.writable:
                    continue
                try:
                    if backend.delete(key):
                        forgotten.append(backend.name)
                except errors.StorageError:
                    raise
                except Exception as exc:
                    raise errors.StorageError(
                        f"storage backend {backend.name!r} could not forget {key}: {exc}",
                        backend=backend.name,
                    ) from exc
        _breadcrumbs.forget(key)
        with self._state_lock:
            if self._subject == key.subject:
                self._profile = None
        return forgotten

    # -- the JavaScript SDK's calls -----------------------------------------------------

    def get_user_profile(self, *, access_token: str | None = None) -> Profile:
        """Fetch the current profile from the service.

        Uses the token from the last :meth:`init` unless ``access_token`` is given.

        Raises:
            NotInitializedError: no ``init`` yet and no ``access_token``.
            InvalidAccessTokenError: the token was rejected.
        """
        given = access_token is not None
        token = self._current_token(access_token)
        profile = self._fetch(token, source="service")
        if not given:
            self._set_current(profile, self._subject)
            self._refresh_snapshot(self._key(self._subject), profile, None)
        return profile

    def update_user_profile(
        self,
        *,
        nickname: str | None = None,
        custom_data: str | None = None,
        access_token: str | None = None,
    ) -> Profile:
        """Change the current profile's nickname and/or custom data.

        The returned profile keeps the access token (the service's answer lacks it).

        Args:
            nickname: 1 to 20 characters.
            custom_data: any string (serialize structured data yourself).
            access_token: act on this token's profile instead of the current one.

        Raises:
            InvalidArgumentError: nothing to change, or a bad value (before any request).
            NotInitializedError: no ``init`` yet and no ``access_token``.
            BadRequestError: the service refused a value.
        """
        body: dict[str, Any] = {}
        if nickname is not None:
            body["nickname"] = check.nickname(nickname)
        if custom_data is not None:
            body["custom_data"] = check.custom_data(custom_data)
        if not body:
            raise errors.InvalidArgumentError("update_user_profile needs nickname or custom_data")
        given = access_token is not None
        token = self._current_token(access_token)
        answer = self._profile_call("PATCH", token=token, body=body)
        profile = _profile_from(answer, "PATCH", access_token=token, source="service")
        if not given:
            self._set_current(profile, self._subject)
            self._refresh_snapshot(self._key(self._subject), profile, None)
        return profile

    def create_user_profile(
        self,
        *,
        nickname: str | None = None,
        custom_data: str | None = None,
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
        body: dict[str, Any] = {}
        if nickname is not None:
            body["nickname"] = check.nickname(nickname)
        if custom_data is not None:
            body["custom_data"] = check.custom_data(custom_data)
        key = self._key(check.subject(subject if subject is not None else self._subject))
        profile = self._post_profile(body)
        self._announce(profile, key, "explicit create")
        if save:
            try:
                self._remember(key, profile)
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
        if not isinstance(profile_id, str) or not profile_id or "/" in profile_id:
            raise errors.InvalidArgumentError("profile_id must be a non-empty string without '/'")
        template = self._app_config().get("profile_detail_url_template")
        if isinstance(template, str) and "{profile_id}" in template:
            url = check.url(template.replace("{profile_id}", profile_id), name="profile detail URL")
            url += "/"
        else:
            url = f"{self.api_url}/profiles/{profile_id}/"
        return _profile_from(self._http().request("GET", url), "GET")

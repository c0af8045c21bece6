"""The profile service: LiveLike's HTTP profile API for one application.

It fetches the application config (through the disk cache, refetching once
when a cached profile URL no longer works), and creates, fetches and updates
profiles. It knows nothing about storage: saving tokens, locks and the
get-or-create policy belong to :mod:`livelike._resolver`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from livelike import _validate as check
from livelike import errors
from livelike._appconfig import AppConfigCache
from livelike._profile import Profile

if TYPE_CHECKING:
    import requests

    from livelike._transport import Answer, RetryPolicy, Transport

__all__ = ["ProfileService", "restated", "surely_not_created"]

logger = logging.getLogger("livelike")

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


_Error = TypeVar("_Error", bound=errors.APIError)


def restated(exc: errors.APIError, cls: type[_Error], why: str) -> _Error:
    """The service's answer ``exc`` as a ``cls`` whose detail adds ``why``, in parentheses."""
    return cls(
        status=exc.status,
        detail=f"{exc.detail} ({why})",
        method=exc.method,
        path=exc.path,
        request_id=exc.request_id,
        body=exc.body,
    )


def _created(answer: Answer) -> Profile:
    """The profile a create answered with, which must carry its access token."""
    profile = _profile_from(answer, "POST", source="created")
    if not profile.access_token:
        raise errors.LiveLikeError(
            f"the service created profile {profile.id} but sent no access token"
        )
    return profile


def surely_not_created(exc: BaseException) -> bool:
    """True when ``exc``, raised by :meth:`ProfileService.create`, proves nothing was created.

    Only two cases prove it: the request never left (connection refused,
    connect timeout) or the service answered with a refusal (4xx). Anything
    else (a timeout after sending, a dropped answer, a 5xx, an answer that is
    not a profile) is in doubt.
    """
    if getattr(exc, "create_not_sent", False):  # it failed fetching the config, before any POST
        return True
    if isinstance(exc, errors.NetworkError):
        return not exc.maybe_sent
    if isinstance(exc, errors.ServiceError):
        return False
    if isinstance(exc, errors.APIError):
        return exc.status is not None and 400 <= exc.status < 500
    return False


class ProfileService:
    """LiveLike's profile API for one client id at one API URL.

    Thread-safe: one instance serves every thread of a client.
    """

    def __init__(
        self,
        client_id: str,
        api_url: str,
        api_origin: str,
        *,
        timeout: tuple[float, float],
        retry: RetryPolicy | None,
        session: requests.Session | None,
        config_ttl: float,
    ) -> None:
        self.client_id = client_id
        self.api_url = api_url
        self.api_origin = api_origin
        self.timeout = timeout
        self.config_ttl = config_ttl
        self._retry = retry
        self._session = session
        self._transport: Transport | None = None
        self._config: dict[str, Any] | None = None
        self._config_cached = False
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the HTTP session; a later call opens a new one."""
        with self._lock:
            if self._transport is not None:
                self._transport.close()
                self._transport = None
                self._session = None

    def http(self) -> Transport:
        """The transport, made on first use (``requests`` is imported then)."""
        with self._lock:
            if self._transport is None:
                from livelike._transport import RetryPolicy, Transport

                self._transport = Transport(
                    timeout=self.timeout,
                    retry=self._retry or RetryPolicy(),
                    session=self._session,
                )
            return self._transport

    # -- the application config --------------------------------------------------

    def _config_cache(self) -> AppConfigCache:
        from livelike._appconfig import cache_home

        return AppConfigCache(cache_home(), self.config_ttl)

    def config(self) -> dict[str, Any]:
        """The application config: from memory, the disk cache, or the service.

        Raises:
            UnknownClientIdError: the service does not know the client id.
            NetworkError, ServiceError: the config could not be fetched.
        """
        config = self._config
        if config is not None:
            return config
        cached = self._config_cache().get(self.api_origin, self.client_id)
        if cached is not None and _usable(cached):
            self._config, self._config_cached = cached, True
            return cached
        url = f"{self.api_url}/applications/{self.client_id}"
        body = self.http().request("GET", url, errors_by_status=_CONFIG_ERRORS).body
        if not isinstance(body, dict):
            raise errors.LiveLikeError(f"GET {url} did not answer with a JSON object")
        check.url(body.get("profile_url"), name="the application config's profile_url")
        self._config_cache().put(self.api_origin, self.client_id, body)
        self._config, self._config_cached = body, False
        return body

    def _call(self, method: str, *, token: str | None = None, body: Any = None) -> Answer:
        """A call on the profile URL; a cached config whose URL 404s is refetched once."""
        http = self.http()
        retry_sent = method != "POST"
        url = str(self.config()["profile_url"])
        try:
            return http.request(method, url, token=token, body=body, retry_sent=retry_sent)
        except errors.NotFoundError:
            if not self._config_cached:
                raise
        logger.info("the cached application config no longer works; fetching it again")
        self._config_cache().drop(self.api_origin, self.client_id)
        self._config = None
        try:
            url = str(self.config()["profile_url"])
        except errors.LiveLikeError as exc:
            exc.create_not_sent = True  # type: ignore[attr-defined]  # the first try was refused
            raise
        return http.request(method, url, token=token, body=body, retry_sent=retry_sent)

    # -- profiles ---------------------------------------------------------------------

    def fetch(self, token: str, source: str) -> Profile:
        """The profile ``token`` authenticates as.

        Raises:
            InvalidAccessTokenError: the service rejected the token.
        """
        answer = self._call("GET", token=token)
        return _profile_from(answer, "GET", access_token=token, source=source)

    def create(self, body: dict[str, Any]) -> Profile:
        """Create a profile (billed as a Monthly Active User) and return it with its token.

        Never retried once the request may have reached the service; see
        :func:`surely_not_created` for what a failure proves.
        """
        return _created(self._call("POST", body=body))

    def update(self, token: str, body: dict[str, Any]) -> Profile:
        """Change ``token``'s profile; the result keeps the token."""
        answer = self._call("PATCH", token=token, body=body)
        return _profile_from(answer, "PATCH", access_token=token, source="service")

    def _detail_url(self, profile_id: str) -> str:
        template = self.config().get("profile_detail_url_template")
        if isinstance(template, str) and "{profile_id}" in template:
            url = check.url(template.replace("{profile_id}", profile_id), name="profile detail URL")
            return url.rstrip("/") + "/"
        return f"{self.api_url}/profiles/{profile_id}/"

    def public_profile(self, profile_id: str) -> Profile:
        """Any profile's public view by id (no token).

        Raises:
            NotFoundError: no such profile.
        """
        return _profile_from(self.http().request("GET", self._detail_url(profile_id)), "GET")

    def update_by_id(self, profile_id: str, body: dict[str, Any]) -> Profile:
        """Change any profile by id (``PATCH /profiles/{id}/``).

        Raises:
            NotFoundError: no such profile.
        """
        url = self._detail_url(profile_id)
        return _profile_from(self.http().request("PATCH", url, body=body), "PATCH")

    def delete_by_id(self, profile_id: str) -> None:
        """Delete a profile by id (``DELETE /profiles/{id}/``).

        Raises:
            NotFoundError: no such profile.
        """
        self.http().request("DELETE", self._detail_url(profile_id))

    # -- profiles by custom id ----------------------------------------------------------

    def _custom_url(self, custom_id: str) -> str:
        return f"{self.api_url}/profile-by-custom-id/{self.client_id}/{quote(custom_id, safe='')}/"

    def create_by_custom_id(self, custom_id: str, body: dict[str, Any]) -> Profile:
        """Create the profile of ``custom_id`` (``POST profile-by-custom-id``), with its token.

        Idempotent at the service, so it is retried like a read: a retry after
        a lost answer gets 201 (it never happened) or 409 (it did).

        Raises:
            BadRequestError: status 409 when the custom id is taken.
        """
        return _created(self.http().request("POST", self._custom_url(custom_id), body=body))

    def profile_by_custom_id(self, custom_id: str) -> Profile:
        """The public view (no token) of the profile whose custom id is ``custom_id``.

        Raises:
            NotFoundError: no profile has that custom id.
        """
        answer = self.http().request("GET", self._custom_url(custom_id))
        return _profile_from(answer, "GET")


def _usable(config: dict[str, Any]) -> bool:
    try:
        check.url(config.get("profile_url"), name="profile_url")
    except errors.InvalidArgumentError:
        return False
    return True

"""Exceptions raised by livelike: one root, :class:`LiveLikeError`.

Every error raised on purpose by the SDK derives from :class:`LiveLikeError`,
so ``except livelike.LiveLikeError`` catches them all. No error message ever
contains an access token.

Example::

    try:
        profile = livelike.init(client_id)
    except livelike.errors.NetworkError:
        ...  # the service could not be reached: nothing was created
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from livelike._profile import Profile

__all__ = [
    "APIError",
    "BadRequestError",
    "ClientTokenRejectedError",
    "CreateInDoubtError",
    "CustomIdTakenError",
    "InvalidAccessTokenError",
    "InvalidArgumentError",
    "LiveLikeError",
    "NetworkError",
    "NoSavedProfileError",
    "NotFoundError",
    "NotInitializedError",
    "ProfileNotSavedError",
    "RateLimitedError",
    "ServiceError",
    "StorageError",
    "UnknownClientIdError",
]


def _restore(cls: type[LiveLikeError], args: tuple[Any, ...]) -> LiveLikeError:
    """Rebuild a pickled error without calling its keyword-only ``__init__``."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    return error


class LiveLikeError(Exception):
    """The root of every error livelike raises on purpose.

    Every subclass survives a pickle round-trip (to another process, a task
    queue) with its message and attributes.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args), self.__dict__)


class InvalidArgumentError(LiveLikeError, ValueError):
    """An argument was rejected before any request was made.

    Also a :class:`ValueError`, so code that already catches ``ValueError``
    keeps working.
    """


class NotInitializedError(LiveLikeError, RuntimeError):
    """A module-level call such as :func:`livelike.get_user_profile` came before
    :func:`livelike.init`."""


class NoSavedProfileError(LiveLikeError):
    """``init(create=False)`` found no saved access token, so it created nothing.

    Attributes:
        rejected: True when a token was saved but the service rejected it.
    """

    def __init__(self, message: str, *, rejected: bool = False) -> None:
        super().__init__(message)
        self.rejected = rejected


class StorageError(LiveLikeError):
    """A storage backend could not answer or could not save.

    Raised instead of ever treating a doubt as "no saved token": when a
    backend fails, no profile is created.

    Attributes:
        backend: the name of the backend that failed, where one is known.
    """

    def __init__(self, message: str, *, backend: str | None = None) -> None:
        super().__init__(message)
        self.backend = backend


class ProfileNotSavedError(StorageError):
    """A profile was created but its access token could not be saved.

    The new profile, with its access token, is on :attr:`profile` so the
    caller can keep it: it already counts towards Monthly Active Users.
    """

    def __init__(self, message: str, *, profile: Profile, backend: str | None = None) -> None:
        super().__init__(message, backend=backend)
        self.profile = profile


class CreateInDoubtError(StorageError):
    """A create for this key was started and its answer never came back.

    The service may have made (and billed) a profile whose token was lost, so
    livelike creates nothing more for the key until someone decides: accept
    the loss with ``client.accept_lost_create(subject)`` or ``livelike token
    accept-lost`` (audited), which allows one new create; or import the
    profile's token if it can be found (``init(access_token=...)``).

    Attributes:
        started_at: when the in-doubt create started (ISO-8601 text).
        subject: the key's subject.
    """

    def __init__(
        self, message: str, *, started_at: str, subject: str, backend: str | None = None
    ) -> None:
        super().__init__(message, backend=backend)
        self.started_at = started_at
        self.subject = subject


class NetworkError(LiveLikeError):
    """The service could not be reached or did not answer in time
    (connection refused or reset, DNS failure, connect or read timeout, a
    proxy that failed, a TLS handshake or certificate that failed).

    Attributes:
        method: the HTTP method of the failed request.
        path: the URL path of the failed request (it never holds a token).
        maybe_sent: ``False`` when the request surely never reached the
            service (connection refused, connect timeout, TLS handshake,
            proxy refused); ``True`` when it may have, so a create may have
            happened.
    """

    def __init__(self, message: str, *, method: str, path: str, maybe_sent: bool = True) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.maybe_sent = maybe_sent


class APIError(LiveLikeError):
    """The service answered with an error status.

    Attributes:
        status: the HTTP status code.
        detail: the service's ``detail`` text, or the whole error body for
            field errors.
        method: the HTTP method of the request.
        path: the URL path of the request (it never holds a token).
        request_id: the service's ``X-Request-Id`` header, where it sent one.
        body: the decoded JSON error body, or ``None``.
    """

    def __init__(
        self,
        *,
        status: int,
        detail: str,
        method: str,
        path: str,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        self.status = status
        self.detail = detail
        self.method = method
        self.path = path
        self.request_id = request_id
        self.body = body
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.method} {self.path} answered {self.status}: {self.detail}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text


class BadRequestError(APIError, ValueError):
    """The service rejected the request's content (HTTP 400 or another 4xx)."""

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Per-field messages such as ``{"nickname": ["..."]}`` (may be empty)."""
        if not isinstance(self.body, dict):
            return {}
        return {
            str(k): [str(m) for m in v] if isinstance(v, list) else [str(v)]
            for k, v in self.body.items()
            if k != "detail"
        }


class UnknownClientIdError(APIError):
    """The service does not know this client id (HTTP 404 or 400 on the
    application config)."""


class InvalidAccessTokenError(APIError):
    """The service rejected the access token (HTTP 401 or 403)."""


class NotFoundError(APIError):
    """The requested resource does not exist (HTTP 404)."""


class RateLimitedError(APIError):
    """The service asked us to slow down (HTTP 429).

    Attributes:
        retry_after: seconds the service asked to wait, or ``None``.
    """

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)


class ServiceError(APIError):
    """The service failed (HTTP 5xx). Nothing is assumed about saved tokens."""


class CustomIdTakenError(LiveLikeError):
    """A profile with this custom id exists, and its access token is not saved here.

    Raised by ``init`` with ``custom_ids=True`` when the service answers 409
    to the create: the profile was made earlier (perhaps by a create whose
    answer was lost, or by another host). livelike never creates a second
    one. Recover with the application's client secret
    (``LiveLike(client_id, client_secret=...)``, servers only), or import the
    profile's token with ``init(access_token=..., subject=...)``.

    Attributes:
        custom_id: the custom id (the ``init`` subject).
        profile: the existing profile's public view (id, nickname; no token),
            or None when it could not be looked up.
    """

    def __init__(self, message: str, *, custom_id: str, profile: Profile | None) -> None:
        super().__init__(message)
        self.custom_id = custom_id
        self.profile = profile


class ClientTokenRejectedError(InvalidAccessTokenError):
    """The service rejected an access token livelike signed with the client secret.

    Likely causes: a wrong client secret, a clock off by more than the
    service allows (``iat`` in the future, or ``exp`` already past), or an
    application that accepts no client-generated tokens. livelike never falls
    back to creating an anonymous profile.
    """

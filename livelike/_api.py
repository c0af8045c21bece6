"""Module-level calls that mirror the JavaScript SDK, on a default client.

``init()`` builds the default :class:`~livelike.LiveLike` client; the other
calls act on it and raise :class:`~livelike.errors.NotInitializedError` before.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from livelike._appconfig import DEFAULT_TTL as DEFAULT_CONFIG_TTL
from livelike._client import DEFAULT_TIMEOUT, LiveLike
from livelike._profile import Profile
from livelike._resolver import OnInvalidToken
from livelike._selection import StorageSpec
from livelike.errors import NotInitializedError

if TYPE_CHECKING:
    import requests

    from livelike._adopt import Adoption
    from livelike._transport import RetryPolicy

__all__ = ["adopt", "create_user_profile", "get_user_profile", "init", "update_user_profile"]

_default: LiveLike | None = None
_default_lock = threading.Lock()


def init(
    client_id: str,
    access_token: str | None = None,
    *,
    api_url: str | None = None,
    storage: StorageSpec = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    retry: RetryPolicy | None = None,
    on_invalid_token: OnInvalidToken = "recreate",
    session: requests.Session | None = None,
    config_ttl: float = DEFAULT_CONFIG_TTL,
    custom_ids: bool | None = None,
    client_secret: str | None = None,
    token_ttl: float | None = None,
    subject: str | None = None,
    persist: bool = True,
    create: bool = True,
    ephemeral: bool = False,
    validate: bool = True,
    max_age: float = 0,
) -> Profile:
    """Return the user's profile, reusing a saved one, and make it the default client's.

    Creates a profile (billed as a Monthly Active User) only when no token is
    given and every storage backend answers that none is saved; the new token
    is saved before this returns. It takes the options of :class:`LiveLike`
    and of :meth:`LiveLike.init`, and raises what they raise.

    Example::

        import livelike

        profile = livelike.init("my-client-id")
        print(profile.nickname)
    """
    global _default
    client = LiveLike(
        client_id,
        api_url=api_url,
        storage=storage,
        timeout=timeout,
        retry=retry,
        on_invalid_token=on_invalid_token,
        session=session,
        config_ttl=config_ttl,
        custom_ids=custom_ids,
        client_secret=client_secret,
        token_ttl=token_ttl,
    )
    try:
        profile = client.init(
            access_token,
            subject=subject,
            persist=persist,
            create=create,
            ephemeral=ephemeral,
            validate=validate,
            max_age=max_age,
        )
    except BaseException:
        client.close()
        raise
    with _default_lock:
        previous, _default = _default, client
    if previous is not None:
        previous.close()
    return profile


def _client() -> LiveLike:
    client = _default
    if client is None:
        raise NotInitializedError("call livelike.init(client_id) first")
    return client


def get_user_profile() -> Profile:
    """Fetch the current profile of the last :func:`init` from the service.

    Raises:
        NotInitializedError: :func:`init` has not been called.
    """
    return _client().get_user_profile()


def update_user_profile(
    *,
    nickname: str | None = None,
    custom_data: str | None = None,
    attributes: Mapping[str, str] | None = None,
) -> Profile:
    """Change the current profile's nickname, custom data and/or attributes; it keeps its token.

    Raises:
        NotInitializedError: :func:`init` has not been called.
        InvalidArgumentError: nothing to change, or a bad value.
    """
    return _client().update_user_profile(
        nickname=nickname, custom_data=custom_data, attributes=attributes
    )


def create_user_profile(
    *,
    nickname: str | None = None,
    custom_data: str | None = None,
    attributes: Mapping[str, str] | None = None,
    save: bool = False,
) -> Profile:
    """Create a new profile with the last :func:`init`'s client and return it with its token.

    The saved token is left alone unless ``save=True``.

    Raises:
        NotInitializedError: :func:`init` has not been called.
    """
    return _client().create_user_profile(
        nickname=nickname, custom_data=custom_data, attributes=attributes, save=save
    )


def adopt(from_subject: str, to_subject: str) -> Adoption:
    """Make the visitor's profile the signed-up user's, with the last :func:`init`'s client.

    See :meth:`LiveLike.adopt`.

    Raises:
        NotInitializedError: :func:`init` has not been called.
    """
    return _client().adopt(from_subject, to_subject)


def reset() -> None:
    """Close and forget the default client (for tests and long-lived processes)."""
    global _default
    with _default_lock:
        previous, _default = _default, None
    if previous is not None:
        previous.close()

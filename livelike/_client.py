"""The :class:`LiveLike` client: checks arguments and owns the three parts that do the work.

- :class:`~livelike._service.ProfileService`: LiveLike's HTTP profile API;
- :class:`~livelike._chain.StorageChain`: the storage backends, in order;
- :class:`~livelike._resolver.Resolver`: get-or-create over those two.

``init`` reads: :meth:`LiveLike.init` -> :meth:`Resolver.resolve` ->
:meth:`StorageChain.find` / :meth:`StorageChain.save` -> a backend.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from livelike import _validate as check
from livelike import errors
from livelike._appconfig import DEFAULT_TTL as DEFAULT_CONFIG_TTL
from livelike._chain import StorageChain
from livelike._profile import Profile
from livelike._profile_calls import ProfileCalls
from livelike._resolver import OnInvalidToken, Resolver
from livelike._selection import StorageSpec, resolve
from livelike._service import ProfileService
from livelike.storage import StorageKey, TokenRecord, utcnow

if TYPE_CHECKING:
    import requests

    from livelike._adopt import Adoption
    from livelike._signed import SignedResolver
    from livelike._transport import RetryPolicy, Transport

__all__ = ["DEFAULT_API_URL", "DEFAULT_TIMEOUT", "LiveLike", "OnInvalidToken"]

DEFAULT_API_URL = "https://cf-blast.livelikecdn.com/api/v1"
API_URL_VARIABLE = "LIVELIKE_API_URL"
CUSTOM_IDS_VARIABLE = "LIVELIKE_CUSTOM_IDS"
CLIENT_SECRET_VARIABLE = "LIVELIKE_CLIENT_SECRET"
DEFAULT_TIMEOUT = (3.05, 10.0)


def api_url_setting(api_url: str | None) -> tuple[str, str]:
    """The API URL a client uses (``api_url``, else ``$LIVELIKE_API_URL``, else the
    default), and the name an error about it gives: ``LIVELIKE_API_URL`` or ``"api_url"``."""
    if api_url is not None:
        return api_url, "api_url"
    configured = os.environ.get(API_URL_VARIABLE)
    if configured:
        return configured, API_URL_VARIABLE
    return DEFAULT_API_URL, "api_url"


class LiveLike(ProfileCalls):
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
        custom_ids: the ``init`` subject is the profile's custom id, and a
            create goes through ``profile-by-custom-id`` (idempotent at the
            service); default ``$LIVELIKE_CUSTOM_IDS`` (``1`` to enable).
        client_secret: the application's client secret (servers only, never
            in software handed to users); default ``$LIVELIKE_CLIENT_SECRET``.
            ``init(subject=S)`` then signs its own token for custom id ``S``
            and the service creates the profile on first use. Never logged,
            shown or saved by livelike.
        token_ttl: seconds a signed token is valid (its ``exp``); None for none.

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
        custom_ids: bool | None = None,
        client_secret: str | None = None,
        token_ttl: float | None = None,
    ) -> None:
        self.client_id = check.client_id(client_id)
        if custom_ids is None:
            custom_ids = check.flag(os.environ.get(CUSTOM_IDS_VARIABLE), name=CUSTOM_IDS_VARIABLE)
        elif not isinstance(custom_ids, bool):
            raise errors.InvalidArgumentError("custom_ids must be True or False")
        self.custom_ids = custom_ids
        secret_name = "client_secret"
        if client_secret is None and os.environ.get(CLIENT_SECRET_VARIABLE):
            client_secret, secret_name = os.environ[CLIENT_SECRET_VARIABLE], CLIENT_SECRET_VARIABLE
        self._client_secret = (
            None if client_secret is None else check.client_secret(client_secret, name=secret_name)
        )
        self.token_ttl = None if token_ttl is None else check.seconds(token_ttl, name="token_ttl")
        url, name = api_url_setting(api_url)
        self.api_url = check.url(url, name=name)
        self.api_origin = check.origin(self.api_url)
        self.timeout = check.timeout(timeout)
        if on_invalid_token not in ("recreate", "raise"):
            raise errors.InvalidArgumentError(
                f"on_invalid_token must be 'recreate' or 'raise', not {on_invalid_token!r}"
            )
        self.on_invalid_token: OnInvalidToken = on_invalid_token
        if not isinstance(config_ttl, int | float) or isinstance(config_ttl, bool):
            raise errors.InvalidArgumentError("config_ttl must be a number of seconds")
        self.config_ttl = float(config_ttl)
        self._service = ProfileService(
            self.client_id,
            self.api_url,
            self.api_origin,
            timeout=self.timeout,
            retry=retry,
            session=session,
            config_ttl=self.config_ttl,
        )
        self._storage_spec = storage
        self._resolver: Resolver | None = None
        if storage is not None:
            self._storage()  # unknown names fail now, before any request
        self._state_lock = threading.RLock()
        self._profile: Profile | None = None
        self._subject = "default"

    def __repr__(self) -> str:
        extra = " custom_ids=True" if self.custom_ids else ""
        extra += " client_secret=<hidden>" if self._client_secret else ""
        return f"<LiveLike client_id={self.client_id!r} api_url={self.api_url!r}{extra}>"

    @property
    def names_subjects(self) -> bool:
        """True when subjects are custom ids (``custom_ids`` or a client secret)."""
        return self.custom_ids or self._client_secret is not None

    def __enter__(self) -> LiveLike:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session. The client can still be used; it opens a new one."""
        self._service.close()

    @property
    def profile(self) -> Profile | None:
        """The profile set by the last :meth:`init`, update or saved create, or None."""
        return self._profile

    # -- the parts ----------------------------------------------------------------------

    def _resolve(self) -> Resolver:
        resolver = self._resolver
        if resolver is None:
            from livelike._plugins import registry

            chain = resolve(self._storage_spec, registry())
            resolver = self._resolver = Resolver(
                self._service, chain, self.on_invalid_token, custom_ids=self.custom_ids
            )
        return resolver

    def _signed(self) -> SignedResolver:
        from livelike._signed import SignedResolver  # only with a secret: hmac and hashlib

        secret = self._client_secret
        assert secret is not None
        return SignedResolver(self._resolve(), secret, self.token_ttl)

    def _storage(self) -> StorageChain:
        return self._resolve().chain

    def _http(self) -> Transport:
        return self._service.http()

    def _key(self, subject: str) -> StorageKey:
        return StorageKey(self.api_origin, self.client_id, subject)

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

    def _refresh(self, profile: Profile) -> None:
        """Keep the saved snapshot of the current profile up to date (never raises)."""
        if profile.access_token:
            self._storage().refresh_snapshot(
                self._key(self._subject),
                profile.access_token,
                profile.data,
                profile.fetched_at or utcnow(),
            )

    # -- init -----------------------------------------------------------------------

    def init(
        self,
        access_token: str | None = None,
        *,
        subject: str | None = None,
        persist: bool = True,
        create: bool = True,
        ephemeral: bool = False,
        validate: bool = True,
        max_age: float = 0,
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
            subject: whose profile this is (your user id in a service);
                default ``"default"``. With ``custom_ids`` or a client secret
                it is the profile's custom id and must be given.
            persist: save a given ``access_token``.
            create: when False, raise instead of creating a profile.
            ephemeral: allow creating a profile whose token can only be kept
                in memory (it would be forgotten, and billed again, next run).
            validate: when False and a token is saved with a profile snapshot,
                return that snapshot without any request (``source="cached"``,
                ``fetched_at`` tells its age). The token is not checked.
            max_age: seconds; when the saved snapshot was validated by the
                service less than ``max_age`` seconds ago, return it with no
                request (``source="cached"``), from this client's in-process
                cache of recent profiles when it has it (no storage read
                either). Older, it is validated as usual and the snapshot's
                ``fetched_at`` refreshed. 0 (the default) always validates.

        Raises:
            InvalidArgumentError: a malformed argument (before any request).
            StorageError: a backend could not answer or save; nothing created.
            ProfileNotSavedError: a profile was created but not saved; it is
                on the error's ``profile``.
            InvalidAccessTokenError: the given token, or a saved one with
                ``on_invalid_token="raise"``, was rejected.
            ClientTokenRejectedError: the service refused the token signed
                with the client secret (wrong secret, clock skew).
            CustomIdTakenError: with ``custom_ids``, the custom id already has
                a profile whose token is not saved here (it is on the error).
            NoSavedProfileError: ``create=False`` and nothing is saved.
            CreateInDoubtError: an earlier create for this key lost its
                answer (the service may have billed a profile); nothing is
                created until the loss is accepted (:meth:`accept_lost_create`).
            NetworkError, ServiceError, RateLimitedError: the service could
                not be used; saved tokens are untouched and nothing was created.
        """
        if subject is None:
            if self.names_subjects:
                raise errors.InvalidArgumentError(
                    "with custom_ids or a client secret, init needs subject= (the user's "
                    "custom id): the default subject would give every caller one profile"
                )
            subject = "default"
        subject = check.subject(subject)
        if self.names_subjects:
            check.custom_id(subject, name="subject")
        seconds = check.max_age(max_age)
        key = self._key(subject)
        resolver = self._resolve()
        if access_token is None and self._client_secret is not None:
            return self._set_current(self._signed().resolve(key, validate=validate), subject)
        if access_token is not None:
            token = check.access_token(access_token)
            profile = self._service.fetch(token, source="given")
            if persist:
                resolver.remember(key, profile, "replaced by a given token")
            return self._set_current(profile, subject)
        profile = resolver.resolve(
            key, create=create, ephemeral=ephemeral, validate=validate, max_age=seconds
        )
        return self._set_current(profile, subject)

    def accept_lost_create(self, subject: str = "default") -> bool:
        """Accept that the in-doubt create for ``subject`` lost its profile; allow one new create.

        After a create whose answer was lost, :meth:`init` raises
        :class:`~livelike.errors.CreateInDoubtError` rather than risk billing a
        second profile. Call this once you know the profile cannot be
        recovered; it is recorded in the audit log (``livelike token
        history``). Returns False when nothing was in doubt.

        Raises:
            StorageError: a backend failed.
        """
        return self._resolve().accept_lost(self._key(check.subject(subject)))

    def adopt(self, from_subject: str, to_subject: str) -> Adoption:
        """Make the visitor's profile (saved under ``from_subject``) the signed-up user's.

        Under both keys' locks the visitor's record (token, history, snapshot)
        moves to ``to_subject`` and ``from_subject`` is left pointing nowhere
        (its token is moved aside, as by :meth:`forget`). With custom ids the
        profile's custom id becomes ``to_subject`` (``PATCH``). If the user
        already has a saved profile it is kept, and the visitor's token goes
        into its record's history. Nothing is deleted, created or billed.
        Audited. Returns which profile was kept.

        Raises:
            InvalidArgumentError: bad or equal subjects (before any request).
            NoSavedProfileError: no token is saved under ``from_subject``.
            CreateInDoubtError: either key has a create in doubt.
            CustomIdTakenError: with custom ids, ``to_subject`` already has a
                profile whose token is not saved here.
            StorageError: a backend failed.
        """
        from livelike import _adopt

        source, target = check.subject(from_subject), check.subject(to_subject)
        if source == target:
            raise errors.InvalidArgumentError("adopt needs two different subjects")
        if self.names_subjects:
            check.custom_id(source, name="from_subject")
            check.custom_id(target, name="to_subject")
        result = _adopt.adopt(
            self._resolve(), self._key(source), self._key(target), custom_ids=self.names_subjects
        )
        with self._state_lock:
            if self._subject == source:
                self._subject = target
        return result

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
            StorageError: a backend failed to forget, or the token was saved
                in a backend this machine cannot use (it is named). A token
                saved in an installed backend outside this client's chain is
                forgotten there.
        """
        key = self._key(check.subject(subject))
        chain = self._storage()
        with chain.lock(key):
            forgotten = chain.forget(key)
        with self._state_lock:
            if self._subject == key.subject:
                self._profile = None
        return forgotten

"""HTTP transport: one ``requests.Session``, timeouts, retries and error mapping.

Retry policy: GET and PATCH are retried on connection errors, 429 (honouring
``Retry-After``) and 5xx with exponential backoff and full jitter, a bounded
number of times. A create (POST) is retried only when the request surely never
reached the service (connection refused, connect timeout): retrying after it
may have arrived could mint a second billed profile.

Nothing here logs or raises an access token: tokens travel only in the
``Authorization`` header, and URLs never hold one.
"""

from __future__ import annotations

import logging
import os
import platform
import random
import time
import weakref
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import attrs
import requests
import urllib3.exceptions

from livelike import errors
from livelike._validate import is_loopback
from livelike._version import __version__

logger = logging.getLogger("livelike")

_PY = platform.python_version_tuple()
USER_AGENT = f"livelike-python/{__version__} python/{_PY[0]}.{_PY[1]}"

POOL_SIZE = 32

_BY_STATUS: Mapping[int, type[errors.APIError]] = {
    400: errors.BadRequestError,
    401: errors.InvalidAccessTokenError,
    403: errors.InvalidAccessTokenError,
    404: errors.NotFoundError,
    429: errors.RateLimitedError,
}


@attrs.frozen
class RetryPolicy:
    """How failed idempotent requests are retried.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff: base delay in seconds; attempt ``n`` waits up to ``backoff * 2**n``.
        max_backoff: the longest computed delay, in seconds.
        max_retry_after: the longest ``Retry-After`` honoured; a longer one
            raises :class:`~livelike.errors.RateLimitedError` at once.
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 30.0

    def jitter(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based): full jitter."""
        ceiling = min(self.max_backoff, self.backoff * (2**attempt))
        return random.uniform(0, ceiling) if ceiling > 0 else 0.0


@attrs.frozen
class Answer:
    """A successful answer: status and decoded JSON body."""

    status: int
    body: Any


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _detail(body: Any, response: requests.Response) -> str:
    if isinstance(body, dict):
        if isinstance(body.get("detail"), str):
            return str(body["detail"])
        parts = []
        for field, messages in body.items():
            text = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            parts.append(f"{field}: {text}")
        if parts:
            return ", ".join(parts)
    return response.reason or "no detail"


def _decode(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _content_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower() or "no type"


def _api_answer(response: requests.Response, body: Any) -> bool:
    """True when an error answer is the API's own: a JSON object with a JSON content type."""
    kind = _content_type(response)
    return isinstance(body, dict) and (kind == "application/json" or kind.endswith("+json"))


def _no_proxy_for_loopback(url: str) -> dict[str, Any] | None:
    """Proxy settings that send a request to this machine directly, or None for others.

    A proxy from ``HTTP_PROXY``/``ALL_PROXY`` (or the session) would see the
    bearer token of a plain-http loopback API in clear: every key requests
    looks up for this URL is set to None, which it reads as "no proxy".
    """
    host = urlsplit(url).hostname or ""
    if not is_loopback(host):
        return None
    keys = [f"{scheme}{host}" for scheme in ("http://", "https://", "all://")]
    return dict.fromkeys([*keys, "http", "https", "all"])


def _surely_not_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the service."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        # The handshake comes before the request: a verification failure means unsent.
        return "CERTIFICATE_VERIFY_FAILED" in str(exc) or "WRONG_VERSION_NUMBER" in str(exc)
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        if isinstance(reason, urllib3.exceptions.ProxyError):  # could not reach the proxy
            reason = reason.original_error
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def _not_worth_retrying(exc: requests.RequestException) -> bool:
    """A proxy or TLS failure: the same request would fail the same way at once."""
    return isinstance(exc, (requests.exceptions.ProxyError, requests.exceptions.SSLError))


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy failed (check HTTPS_PROXY, HTTP_PROXY, NO_PROXY or the session's proxies)"
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            "TLS failed: certificate not trusted or handshake refused "
            "(check REQUESTS_CA_BUNDLE or the session's verify=)"
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "read timeout: no answer in time"
    if _surely_not_sent(exc):
        return "connection refused or host unreachable"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection lost before an answer came"
    return type(exc).__name__


_LIVE: weakref.WeakSet[Transport] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child must not write to its parent's pooled sockets: drop the pools."""
    for transport in list(_LIVE):
        transport.forget_connections()


os.register_at_fork(after_in_child=_after_fork_in_child)


class Transport:
    """Sends requests for one client over one ``requests.Session``.

    After ``os.fork()`` the child starts with empty connection pools, so
    parent and child never share a keep-alive socket (and never read each
    other's answers).
    """

    def __init__(
        self,
        *,
        timeout: tuple[float, float],
        retry: RetryPolicy,
        session: requests.Session | None = None,
    ) -> None:
        self.timeout = timeout
        self.retry = retry
        if session is None:
            session = requests.Session()
            # Many threads share one client in a service: keep enough connections
            # per host that they are reused rather than opened and dropped.
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        # A caller's session keeps its own User-Agent, with ours appended.
        theirs = session.headers.get("User-Agent")
        if isinstance(theirs, bytes):
            theirs = theirs.decode("latin-1")
        if not theirs or theirs == requests.utils.default_user_agent():
            session.headers["User-Agent"] = USER_AGENT
        elif USER_AGENT not in theirs:
            session.headers["User-Agent"] = f"{theirs} {USER_AGENT}"
        self.session = session
        self._sleep: Callable[[float], None] = time.sleep
        _LIVE.add(self)

    def forget_connections(self) -> None:
        """Abandon the pooled connections without closing them (they may be a parent's).

        No lock is taken: after a fork, a lock held by a parent thread stays held.
        """
        for adapter in self.session.adapters.values():
            if isinstance(adapter, requests.adapters.HTTPAdapter):
                adapter.proxy_manager = {}
                size = requests.adapters.DEFAULT_POOLSIZE
                adapter.init_poolmanager(
                    getattr(adapter, "_pool_connections", size),
                    getattr(adapter, "_pool_maxsize", size),
                    block=getattr(adapter, "_pool_block", False),
                )

    def close(self) -> None:
        """Close the session's pooled connections."""
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        body: Any = None,
        retry_sent: bool = True,
        errors_by_status: Mapping[int, type[errors.APIError]] | None = None,
    ) -> Answer:
        """Send one request, retrying per the policy, and return the decoded answer.

        ``retry_sent=False`` marks a non-idempotent call: it is retried only when
        it surely never reached the service.

        Raises:
            NetworkError: no answer (after the retries allowed).
            APIError: a subclass chosen by status, e.g. ServiceError for 5xx.
        """
        path = urlsplit(url).path
        proxies = _no_proxy_for_loopback(url)
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=headers,
                    json=body,
                    timeout=self.timeout,
                    allow_redirects=False,
                    # Passed explicitly: requests lets environment variables
                    # override a session's own proxies and CA bundle otherwise; a
                    # loopback API never goes through a proxy.
                    proxies=dict(proxies) if proxies is not None else dict(self.session.proxies),
                    verify=self.session.verify,
                )
            except requests.RequestException as exc:
                reason = _describe(exc)
                logger.debug(
                    "%s %s failed after %.3fs: %s", method, path, time.monotonic() - started, reason
                )
                sent = not _surely_not_sent(exc)
                retry = retry_sent or not sent
                if attempt < self.retry.max_retries and retry and not _not_worth_retrying(exc):
                    self._sleep(self.retry.jitter(attempt))
                    attempt += 1
                    continue
                message = f"{method} {path} failed: {reason}"
                if not retry_sent and sent:
                    message += (
                        "; the service may have acted on it, so it was not retried "
                        "(a retried create could mint a second billed profile)"
                    )
                raise errors.NetworkError(
                    message, method=method, path=path, maybe_sent=sent
                ) from exc
            status = response.status_code
            logger.debug("%s %s -> %d in %.3fs", method, path, status, time.monotonic() - started)
            if status < 300:
                return Answer(status=status, body=_decode(response))
            wait = _retry_after(response)
            retryable = retry_sent and (status == 429 or status >= 500)
            if retryable and attempt < self.retry.max_retries:
                delay = wait if wait is not None else self.retry.jitter(attempt)
                if delay <= self.retry.max_retry_after:
                    self._sleep(delay)
                    attempt += 1
                    continue
            raise self._error(response, method, path, wait, errors_by_status)

    @staticmethod
    def _error(
        response: requests.Response,
        method: str,
        path: str,
        retry_after: float | None,
        errors_by_status: Mapping[int, type[errors.APIError]] | None,
    ) -> errors.APIError:
        status = response.status_code
        body = _decode(response)
        kind = (errors_by_status or {}).get(status) or _BY_STATUS.get(status)
        if kind is errors.InvalidAccessTokenError and not _api_answer(response, body):
            # A CDN, a proxy or a firewall, not the service: the token was not judged.
            return errors.ServiceError(
                status=status,
                detail=f"the answer is not the LiveLike API's ({_content_type(response)}), "
                "so the token was not judged; nothing was replaced or created",
                method=method,
                path=path,
                request_id=response.headers.get("X-Request-Id"),
                body=None,
            )
        if kind is None:
            if status >= 500:
                kind = errors.ServiceError
            elif status >= 400:
                kind = errors.BadRequestError
            else:
                kind = errors.APIError
        fields: dict[str, Any] = {
            "status": status,
            "detail": _detail(body, response),
            "method": method,
            "path": path,
            "request_id": response.headers.get("X-Request-Id"),
            "body": body,
        }
        if kind is errors.RateLimitedError:
            return errors.RateLimitedError(retry_after=retry_after, **fields)
        return kind(**fields)

"""Control an emulator running in another process, over its ``/_emulator/`` routes."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from typing import Any, cast
from urllib.parse import urlsplit

from livelike.emulator._faults import fault_spec

__all__ = ["EmulatorClient"]

_API_SUFFIX = "/api/v1"


class EmulatorClient:
    """Control an emulator running elsewhere (another process) over HTTP.

    ``url`` may be the API base URL (``http://127.0.0.1:PORT/api/v1``) or the
    root URL. Uses only ``urllib.request`` and ignores proxy settings. Methods
    mirror :class:`Emulator`; an invalid fault raises ValueError, any other
    error answer RuntimeError. ``control_token`` is the emulator's
    ``--control-token``, if it has one.
    """

    def __init__(
        self, url: str, *, timeout: float = 10.0, control_token: str | None = None
    ) -> None:
        """Point the client at an emulator; ``timeout`` is per request, in seconds."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {url!r}")
        root = url.rstrip("/")
        if root.endswith(_API_SUFFIX):
            root = root[: -len(_API_SUFFIX)]
        self.root_url = root
        """The emulator's root URL, without ``/api/v1``."""
        self.url = root + _API_SUFFIX
        """The emulator's API base URL."""
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if control_token is not None:
            self._headers["Authorization"] = f"Bearer {control_token}"
        # Control calls go straight to the emulator, never through an HTTP(S)_PROXY.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, name: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            f"{self.root_url}/_emulator/{name}",
            data=data,
            method=method,
            headers=self._headers,
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            try:
                detail = exc.read().decode("utf-8", "replace")
            finally:
                exc.close()
            with contextlib.suppress(ValueError, AttributeError):
                detail = str(json.loads(detail)["detail"])
            if exc.code == 400:
                raise ValueError(detail) from None
            raise RuntimeError(f"emulator answered {exc.code}: {detail}") from None

    def stats(self) -> dict[str, Any]:
        """Counters since start or the last reset (``GET /_emulator/stats``)."""
        return cast(dict[str, Any], self._call("GET", "stats"))

    def reset(self, *, data: bool = False, clients: bool = False) -> None:
        """Clear stats and faults; ``data=True`` also deletes all profiles and tokens,
        ``clients=True`` forgets client ids added after the emulator started."""
        self._call("POST", "reset", {"data": data, "clients": clients})

    def add_client(self, *client_ids: str) -> None:
        """Register more client ids (``POST /_emulator/clients``; ValueError if malformed)."""
        self._call("POST", "clients", {"client_ids": list(client_ids)})

    def add_client_secret(self, client_id: str, secret: str) -> None:
        """Register ``client_id`` with its client secret (``POST /_emulator/clients``)."""
        self._call("POST", "clients", {"client_secrets": {client_id: secret}})

    @property
    def client_ids(self) -> list[str]:
        """The registered client ids (``GET /_emulator/clients``)."""
        return cast(list[str], self._call("GET", "clients")["client_ids"])

    def inject(
        self,
        route: str,
        *,
        status: int | None = None,
        times: int = 1,
        delay: float = 0.0,
        drop: bool = False,
        when: str = "before",
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        """Queue a fault like :meth:`Emulator.inject` (ValueError if it is invalid)."""
        spec = fault_spec(
            route,
            status=status,
            times=times,
            delay=delay,
            drop=drop,
            when=when,
            retry_after=retry_after,
            body=body,
        )
        self._call("POST", "faults", spec)

    def clear_faults(self) -> None:
        """Drop every queued fault (``DELETE /_emulator/faults``)."""
        self._call("DELETE", "faults", {})

"""A local emulator of the LiveLike profile API, for demos and tests.

The emulator is a small HTTP server (standard library only) that speaks the
LiveLike profile API at ``http://127.0.0.1:PORT/api/v1``: application config,
profile creation with access tokens, current profile get/update and public
profile lookup. It also counts requests and created profiles and can inject
faults (error statuses, delays, dropped connections), controlled either
directly through :class:`Emulator` or over HTTP with :class:`EmulatorClient`.

Typical use::

    from livelike.emulator import serve

    with serve() as base_url:
        ...  # point the SDK at base_url

In pytest, use the ``livelike_emulator`` fixture (see
:mod:`livelike.emulator.pytest_plugin`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

from livelike.emulator._server import (
    CLIENT_ID_PATTERN,
    ROUTE_NAMES,
    EmulatorHTTPServer,
    EmulatorState,
    parse_fault,
)
from livelike.emulator._store import ProfileStore

__all__ = ["ROUTE_NAMES", "Emulator", "EmulatorClient", "serve"]

_API_SUFFIX = "/api/v1"


def _fault_spec(
    route: str,
    *,
    status: int | None,
    times: int,
    delay: float,
    drop: bool,
    when: str,
    retry_after: float | None,
    body: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "route": route,
        "times": times,
        "delay": delay,
        "drop": drop,
        "when": when,
    }
    if status is not None:
        spec["status"] = status
    if retry_after is not None:
        spec["retry_after"] = retry_after
    if body is not None:
        spec["body"] = body
    return spec


class Emulator:
    """An in-process LiveLike profile API emulator.

    ``port=0`` picks a free port. ``db`` is a SQLite file path that keeps
    profiles (and the token signing secret) across restarts; by default
    everything lives in memory. ``client_ids`` restricts the accepted client
    ids (others get 404); by default any well-formed client id is accepted.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with Emulator() as emulator:
            requests.get(f"{emulator.url}/applications/my-client-id")
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | None = None,
        client_ids: Iterable[str] | None = None,
        latency: float = 0.0,
    ) -> None:
        """Configure the emulator; nothing is bound until :meth:`start`.

        ``latency`` seconds are added to every API answer (not to the control
        routes), as if the service were that far away.
        """
        if (
            not isinstance(latency, int | float)
            or isinstance(latency, bool)
            or not 0 <= latency < 3600
        ):
            raise ValueError(f"latency must be a number of seconds in [0, 3600), not {latency!r}")
        allowed = None if client_ids is None else frozenset(client_ids)
        for client_id in allowed or ():
            if not CLIENT_ID_PATTERN.match(client_id):
                raise ValueError(f"invalid client id {client_id!r}: use 1-128 of A-Z a-z 0-9 _ -")
        self._host = host
        self._port = port
        self._db = db
        self._state = EmulatorState(allowed, float(latency))
        self._lock = threading.Lock()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    # --- lifecycle

    def start(self) -> None:
        """Bind the port and serve in a daemon thread (RuntimeError if already running)."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("the emulator is already running")
            store = ProfileStore(self._db if self._db is not None else ":memory:")
            try:
                server = EmulatorHTTPServer((self._host, self._port), self._state)
            except BaseException:
                store.close()
                raise
            self._state.store = store
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"livelike-emulator-{server.server_address[1]}",
                daemon=True,
            )
            self._server = server
            self._thread = thread
            self._stopped.clear()
            thread.start()

    def stop(self) -> None:
        """Stop serving, close open connections and the store (no-op if not running)."""
        with self._lock:
            server, thread = self._server, self._thread
            if server is None:
                return
            self._server = None
            self._thread = None
            server.shutdown()
            server.close_connections()
            server.server_close()
            if thread is not None:
                thread.join()
            store, self._state.store = self._state.store, None
            if store is not None:
                store.close()
            self._stopped.set()

    def serve_forever(self) -> None:
        """Start (if needed) and block until :meth:`stop` or Ctrl-C, then stop."""
        if not self.running:
            self.start()
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Emulator:
        """Start the emulator and return it."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the emulator."""
        self.stop()

    # --- addresses

    @property
    def running(self) -> bool:
        """Whether the emulator is currently serving."""
        return self._server is not None

    def _require_server(self) -> EmulatorHTTPServer:
        server = self._server
        if server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return server

    @property
    def port(self) -> int:
        """The TCP port the emulator listens on (only while running)."""
        return int(self._require_server().server_address[1])

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (only while running)."""
        return self._require_server().root_url

    @property
    def url(self) -> str:
        """The API base URL, ``http://127.0.0.1:PORT/api/v1`` (only while running)."""
        return self._require_server().base_url

    # --- control

    def stats(self) -> dict[str, Any]:
        """Counters since start or the last reset (same JSON as ``GET /_emulator/stats``)."""
        return self._state.stats()

    def reset(self, *, data: bool = False) -> None:
        """Clear stats and faults; with ``data=True`` also delete all profiles and tokens."""
        self._state.reset(data=data)

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
        """Queue a fault for the next ``times`` requests on ``route`` (FIFO per route).

        ``route`` is one of :data:`ROUTE_NAMES`. ``delay`` sleeps first; ``status``
        answers with that status (body ``{"detail": <reason>}`` unless ``body`` is
        given; a string ``body`` is sent as an HTML page, ``""`` as an empty answer,
        standing for a CDN's or a firewall's page; ``Retry-After`` from
        ``retry_after``); ``drop`` closes the connection
        without a response. With ``when="after"`` the real work is done first (a
        profile is created) and then the status is sent or the connection dropped.
        Raises ValueError for an invalid fault.
        """
        spec = _fault_spec(
            route,
            status=status,
            times=times,
            delay=delay,
            drop=drop,
            when=when,
            retry_after=retry_after,
            body=body,
        )
        self._state.add_fault(parse_fault(spec))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._state.clear_faults()


@contextlib.contextmanager
def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    db: str | None = None,
    client_ids: Iterable[str] | None = None,
) -> Iterator[str]:
    """Run an :class:`Emulator` for the ``with`` block and yield its API base URL."""
    with Emulator(host=host, port=port, db=db, client_ids=client_ids) as emulator:
        yield emulator.url


class EmulatorClient:
    """Control an emulator running elsewhere (another process) over HTTP.

    ``url`` may be the API base URL (``http://127.0.0.1:PORT/api/v1``) or the
    root URL. Uses only ``urllib.request`` and ignores proxy settings. Methods
    mirror :class:`Emulator`; an invalid fault raises ValueError, any other
    error answer RuntimeError.
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
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
        # Control calls go straight to the emulator, never through an HTTP(S)_PROXY.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, name: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            f"{self.root_url}/_emulator/{name}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
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

    def reset(self, *, data: bool = False) -> None:
        """Clear stats and faults; with ``data=True`` also delete all profiles and tokens."""
        self._call("POST", "reset", {"data": data})

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
        spec = _fault_spec(
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
        self._call("DELETE", "faults")

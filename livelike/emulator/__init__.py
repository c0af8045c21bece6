"""A local emulator of the LiveLike profile API, for demos and tests.

The emulator is a small HTTP server (standard library only) that speaks the
LiveLike profile API at ``http://127.0.0.1:PORT/api/v1``: application config,
profile creation with access tokens, current profile get/update, profiles by
id (get, update, delete) and by custom id, and client-generated access tokens
signed with a client secret. It also counts requests and created profiles and can inject
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
import threading
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from livelike.emulator._control import EmulatorClient
from livelike.emulator._faults import ROUTE_NAMES, fault_spec, parse_fault
from livelike.emulator._server import EmulatorHTTPServer
from livelike.emulator._state import DEFAULT_CLIENT_ID, EmulatorState
from livelike.emulator._store import ProfileStore

__all__ = ["DEFAULT_CLIENT_ID", "ROUTE_NAMES", "Emulator", "EmulatorClient", "serve"]


def check_public_url(url: str) -> str:
    """Return ``url`` (``http(s)://host[:port]``) without a trailing slash, or raise ValueError."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"invalid public URL {url!r}: {exc}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise ValueError(f"invalid public URL {url!r}: use http(s)://host[:port], nothing more")
    return f"{parts.scheme}://{parts.netloc}"


def check_port(port: object) -> int:
    """Return ``port`` if it is a TCP port number (0 picks a free port), else raise ValueError."""
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValueError(f"invalid port {port!r}: use 0 (a free port) to 65535")
    return port


class Emulator:
    """An in-process LiveLike profile API emulator.

    ``port=0`` picks a free port. ``db`` is a SQLite file path that keeps
    profiles (and the token signing secret) across restarts; by default
    everything lives in memory.

    Client ids: only registered ones are served, as on the real service,
    where a typo in a client id answers 404. :data:`DEFAULT_CLIENT_ID`
    (``"demo"``) is always registered; ``client_ids`` and :meth:`add_client`
    register more; ``any_client_id=True`` serves every well-formed client id.

    Config and profile URLs point back at the address each request was sent
    to (its ``Host`` header), or at ``public_url`` (``http(s)://host[:port]``)
    when given. ``control_token`` protects the ``/_emulator/`` control routes
    (send it as ``Authorization: Bearer``; :class:`EmulatorClient` does).

    ``client_secrets`` (``{client_id: secret}``) lets those client ids accept
    client-generated access tokens: HS256 JWTs signed with the secret, with
    claims ``iss`` (the client id), ``custom_profile_id`` and optionally
    ``exp``; the first request with one creates the profile with that custom
    id (counted in :meth:`stats`). Profiles can also be created and read by
    custom id (``/profile-by-custom-id/{client_id}/{custom_id}/``, 201 or 409)
    and updated or deleted by id (``PATCH``/``DELETE /profiles/{id}/``, 200
    and 204, 404 when unknown).

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with Emulator(client_ids=["my-client-id"]) as emulator:
            requests.get(f"{emulator.url}/applications/my-client-id/")
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | None = None,
        client_ids: Iterable[str] = (),
        any_client_id: bool = False,
        public_url: str | None = None,
        control_token: str | None = None,
        client_secrets: Mapping[str, str] | None = None,
    ) -> None:
        """Configure the emulator (ValueError for a bad argument); nothing is bound yet."""
        if isinstance(client_ids, str):
            raise ValueError("client_ids must be a list of client ids, not one string")
        self._host = host
        self._port = check_port(port)
        self._db = db
        if control_token is not None and not control_token.strip():
            raise ValueError("control_token must not be empty")
        self._state = EmulatorState(
            list(client_ids),
            any_client_id=any_client_id,
            public_url=None if public_url is None else check_public_url(public_url),
            control_token=control_token,
            client_secrets=client_secrets,
        )
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

    def reset(self, *, data: bool = False, clients: bool = False) -> None:
        """Clear stats and faults; ``data=True`` also deletes all profiles and tokens,
        ``clients=True`` forgets client ids added after construction."""
        self._state.reset(data=data, clients=clients)

    def add_client(self, *client_ids: str) -> None:
        """Register more client ids (ValueError naming a malformed one; none is added then)."""
        self._state.add_clients(client_ids)

    def add_client_secret(self, client_id: str, secret: str) -> None:
        """Register ``client_id`` with the secret its client-generated tokens are signed with."""
        self._state.add_secrets({client_id: secret})

    @property
    def client_ids(self) -> list[str]:
        """The registered client ids, sorted (``demo`` included)."""
        return self._state.client_ids()

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
    client_ids: Iterable[str] = (),
    any_client_id: bool = False,
) -> Iterator[str]:
    """Run an :class:`Emulator` for the ``with`` block and yield its API base URL."""
    with Emulator(
        host=host, port=port, db=db, client_ids=client_ids, any_client_id=any_client_id
    ) as emulator:
        yield emulator.url

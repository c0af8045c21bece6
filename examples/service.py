"""A small WSGI service that keeps one LiveLike profile per user of its own.

Each request names its user in the ``X-User`` header (a stand-in for your
session or login). The service maps that user to a LiveLike profile through
one shared ``LiveLike`` client whose tokens live in a SQL database (the
``livelike-sql`` plugin): many worker threads, processes or hosts can serve
the same new user at once and LiveLike still gets one profile.

Try it against the bundled emulator::

    livelike emulator --client-id my-client &
    export LIVELIKE_API_URL=http://127.0.0.1:8765/api/v1
    export LIVELIKE_SQL_URL=postgresql://postgres@127.0.0.1:5432/test   # or leave unset: SQLite
    python examples/service.py --port 8000 --client-id my-client &
    curl -H 'X-User: alice' http://127.0.0.1:8000/profile
    curl -H 'X-User: alice' -X POST -d '{"nickname": "Alice"}' http://127.0.0.1:8000/profile

Routes: ``GET /profile`` (the user's profile, created on first use) and
``POST /profile`` with JSON ``{"nickname": ...}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import livelike
from livelike.errors import InvalidArgumentError, LiveLikeError

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def make_app(
    client: livelike.LiveLike,
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI application: one LiveLike profile per ``X-User``."""

    def respond(start: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
        data = json.dumps(body).encode()
        start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        user = environ.get("HTTP_X_USER", "")
        if environ.get("PATH_INFO") != "/profile":
            return respond(start, "404 Not Found", {"error": "no such route"})
        if not user:
            return respond(start, "401 Unauthorized", {"error": "send X-User"})
        try:
            profile = client.init(subject=f"user:{user}")
            if environ["REQUEST_METHOD"] == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
                profile = client.update_user_profile(
                    nickname=payload.get("nickname"), access_token=profile.access_token
                )
        except InvalidArgumentError as exc:
            return respond(start, "400 Bad Request", {"error": str(exc)})
        except LiveLikeError as exc:  # storage or service trouble: nothing was created
            return respond(start, "503 Service Unavailable", {"error": str(exc)})
        body = {"user": user, "profile_id": profile.id, "nickname": profile.nickname}
        return respond(start, "200 OK", body)

    return app


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per request."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_client(client_id: str, sql_url: str | None = None) -> livelike.LiveLike:
    """One client for the whole service, its tokens in the SQL database."""
    from livelike_sql import SQLBackend

    return livelike.LiveLike(client_id, storage=[SQLBackend(sql_url)])


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--client-id", default=os.environ.get("LIVELIKE_CLIENT_ID", "service-demo"))
    options = parser.parse_args()
    with make_client(options.client_id) as client:
        server = make_server(
            "127.0.0.1",
            options.port,
            make_app(client),
            server_class=ThreadingWSGIServer,
            handler_class=QuietHandler,
        )
        print(f"serving on http://127.0.0.1:{server.server_port}/profile", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


if __name__ == "__main__":
    main()

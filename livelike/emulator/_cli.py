"""Command line entry point: ``livelike emulator`` / ``python -m livelike.emulator``."""

from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

__all__ = ["DEFAULT_PORT", "main"]

DEFAULT_PORT = 8765
"""The port ``livelike emulator`` listens on unless told otherwise."""


class _UsageError(Exception):
    """A bad command line, reported in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


class _ClientSecret(argparse.Action):
    """``--client-secret S``: the secret of the client id named just before it (or demo)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        ids = namespace.client_ids or ["demo"]
        secrets = dict(namespace.client_secrets or {})
        secrets[ids[-1]] = str(values)
        namespace.client_secrets = secrets


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="livelike emulator",
        description="Run a local emulator of the LiveLike profile API until Ctrl-C or SIGTERM.",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"TCP port to listen on (default {DEFAULT_PORT}; 0 picks a free port)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help="SQLite file that keeps profiles across restarts (default: in memory)",
    )
    parser.add_argument(
        "--client-id",
        dest="client_ids",
        metavar="ID",
        action="extend",
        nargs="+",
        default=[],
        help="serve this client id too (repeatable; 'demo' is always served)",
    )
    parser.add_argument(
        "--client-secret",
        dest="client_secrets",
        metavar="SECRET",
        action=_ClientSecret,
        default={},
        help="the client secret of the --client-id just before it (default: demo's):"
        " that client id then accepts client-generated access tokens signed with it",
    )
    parser.add_argument(
        "--any-client-id",
        action="store_true",
        help="serve every well-formed client id (a typo then goes unnoticed)",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        default=None,
        help="http(s)://host[:port] to write into config and profile URLs"
        " (default: the Host each request was sent to)",
    )
    parser.add_argument(
        "--control-token",
        metavar="TOKEN",
        default=None,
        help="require 'Authorization: Bearer TOKEN' on the /_emulator/ control routes",
    )
    return parser


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt while serving (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(message: str, status: int) -> int:
    print(f"livelike emulator: {message}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; return the process exit status.

    Prints ``LiveLike emulator listening on http://HOST:PORT/api/v1`` (flushed)
    once the port is bound, so a parent process can read the URL. A bad
    argument, a port that cannot be bound or a database that cannot be opened
    is reported in one line on stderr (status 2 for usage, 1 otherwise).
    """
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        return _fail(f"{exc} (see --help)", 2)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0

    from livelike.emulator import Emulator

    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            db=args.db,
            client_ids=args.client_ids,
            any_client_id=args.any_client_id,
            public_url=args.public_url,
            control_token=args.control_token,
            client_secrets=args.client_secrets,
        )
    except ValueError as exc:
        return _fail(str(exc), 2)
    try:
        emulator.start()
    except sqlite3.Error as exc:
        return _fail(f"cannot open the database --db {args.db}: {exc}", 1)
    except (OSError, OverflowError) as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc}", 1)
    with _sigterm_as_interrupt():
        try:
            print(f"LiveLike emulator listening on {emulator.url}", flush=True)
            emulator.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            emulator.stop()
    return 0

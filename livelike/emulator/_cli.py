"""Command line entry point: ``livelike emulator`` / ``python -m livelike.emulator``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from livelike.emulator import Emulator

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livelike emulator",
        description="Run a local emulator of the LiveLike profile API until Ctrl-C or SIGTERM.",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port to listen on (default 0: a free port)"
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
        default=None,
        help="accept only these client ids (repeatable; default: any client id)",
    )
    parser.add_argument(
        "--latency",
        type=latency,
        default=0.0,
        metavar="TIME",
        help="added to every API answer: seconds (0.03) or with a unit (30ms, 1s); default 0",
    )
    return parser


def latency(text: str) -> float:
    """Seconds from ``"0.03"``, ``"30ms"`` or ``"1s"`` (argparse type for ``--latency``)."""
    value = text.strip().lower()
    scale = 1.0
    if value.endswith("ms"):
        value, scale = value[:-2], 0.001
    elif value.endswith("s"):
        value = value[:-1]
    try:
        seconds = float(value) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a latency: use seconds (0.03) or 30ms"
        ) from None
    if not 0 <= seconds < 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"latency {text!r} must be >= 0 and under an hour")
    return seconds


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


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; return the process exit status.

    Prints ``LiveLike emulator listening on http://HOST:PORT/api/v1`` (flushed)
    once the port is bound, so a parent process can read the URL.
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            db=args.db,
            client_ids=args.client_ids,
            latency=args.latency,
        )
    except ValueError as exc:
        print(f"livelike emulator: {exc}", file=sys.stderr)
        return 2
    try:
        emulator.start()
    except OSError as exc:
        print(
            f"livelike emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    with _sigterm_as_interrupt():
        try:
            print(f"LiveLike emulator listening on {emulator.url}", flush=True)
            emulator.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            emulator.stop()
    return 0

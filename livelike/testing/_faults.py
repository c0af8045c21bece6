"""Faults the contract suite injects to make a store unreachable.

While :class:`Unreachable` is active, in this process, every new socket
connection is refused and every file open or folder listing fails with
"permission denied". It counts the attempts, so the suite can tell a backend
that swallowed the error (it tried, failed, and answered "absent") from one
the fault could not reach (its client library opens sockets or files in C).
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import pathlib
import socket
import threading
from typing import Any

__all__ = ["Unreachable"]

_NOTE = "injected by the livelike contract suite"


class Unreachable:
    """A context manager: no new socket connection, no file open, no folder listing.

    Attributes:
        attempts: how many connections, opens and listings were refused.
    """

    def __init__(self) -> None:
        self.attempts = 0
        self._count = threading.Lock()
        self._saved: list[tuple[Any, str, Any]] = []

    def _refused(self) -> None:
        with self._count:
            self.attempts += 1

    def describe(self) -> str:
        """What was injected, for messages."""
        return (
            "every new socket connection was refused and every file open and folder "
            f"listing failed ({self.attempts} attempts refused)"
        )

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def __enter__(self) -> Unreachable:
        def refuse_connect(sock: socket.socket, address: Any) -> None:
            self._refused()
            raise ConnectionRefusedError(errno.ECONNREFUSED, f"Connection refused ({_NOTE})")

        def refuse_connect_ex(sock: socket.socket, address: Any) -> int:
            self._refused()
            return errno.ECONNREFUSED

        def deny(name: str) -> Any:
            def denied(path: Any = ".", *args: Any, **kwargs: Any) -> Any:
                self._refused()
                raise PermissionError(errno.EACCES, f"Permission denied ({_NOTE})", str(path))

            denied.__name__ = name
            return denied

        self._patch(socket.socket, "connect", refuse_connect)
        self._patch(socket.socket, "connect_ex", refuse_connect_ex)
        for owner, name in (
            (builtins, "open"),
            (io, "open"),
            (os, "open"),
            (os, "scandir"),
            (os, "listdir"),
        ):
            self._patch(owner, name, deny(name))
        # Python 3.10's pathlib reads through an accessor that captured io.open and
        # os.scandir when it was imported: patch its copies too.
        accessor = getattr(pathlib, "_NormalAccessor", None)
        for name in ("open", "scandir", "listdir"):
            if accessor is not None and hasattr(accessor, name):
                self._patch(accessor, name, staticmethod(deny(name)))
        return self

    def __exit__(self, *exc_info: object) -> None:
        while self._saved:
            owner, name, original = self._saved.pop()
            setattr(owner, name, original)

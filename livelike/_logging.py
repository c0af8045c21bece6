"""Logging conventions: a ``NullHandler`` on the ``livelike`` logger, and
``LIVELIKE_LOG`` to turn logging on from the environment.

Every logger of the package is ``livelike`` or named under it (``livelike.emulator``,
``livelike.sql``...), so an application configures them all through ``livelike``.
A library adds no handler of its own: the ``NullHandler`` only keeps Python from
printing warnings when the application configured no logging at all.
``LIVELIKE_LOG=debug`` (or ``info``, ``warning``, ``error``) sends the package's
records at that level to stderr; ``livelike -v`` does the same for the command line.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["LOG_VARIABLE", "enable", "install"]

LOG_VARIABLE = "LIVELIKE_LOG"
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``LIVELIKE_LOG`` and ``-v`` install (at most one)."""


def enable(level: str) -> None:
    """Send the ``livelike`` loggers' records at ``level`` and above to stderr.

    Raises:
        ValueError: ``level`` is not one of debug, info, warning, error.
    """
    number = LEVELS.get(level.strip().lower())
    if number is None:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    logger = logging.getLogger("livelike")
    handler = next((h for h in logger.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    handler.setLevel(number)
    logger.setLevel(number)


def install() -> None:
    """Add the ``NullHandler``, then honour ``LIVELIKE_LOG`` if it is set."""
    logger = logging.getLogger("livelike")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    wanted = os.environ.get(LOG_VARIABLE, "").strip()
    if not wanted:
        return
    try:
        enable(wanted)
    except ValueError as exc:
        enable("warning")
        logger.warning("%s ignored: %s", LOG_VARIABLE, exc)


install()

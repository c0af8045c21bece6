"""Keyring calls with a deadline and scrubbed errors, and the test for a keyring that
cannot keep anything.

A locked keyring can block a call indefinitely (waiting for an unlock prompt,
a D-Bus service that never answers...). Each call therefore runs in a daemon
thread and the caller waits at most ``timeout`` seconds: a daemon thread that
never returns does not keep the process from exiting. So that a keyring that
stays stuck cannot pile up threads, once :data:`MAX_ABANDONED` calls have
been given up on and are still running, further calls fail at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from livelike.errors import StorageError
from livelike.files import scrub

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend as Keyring

__all__ = ["MAX_ABANDONED", "Refused", "call_with_timeout", "run", "unusable_reason"]

T = TypeVar("T")

MAX_ABANDONED = 8
"""How many timed-out keyring calls may still be running before calls fail at once."""

_abandoned = 0
_abandoned_lock = threading.Lock()


def timeout_message(timeout: float, what: str) -> str:
    """The text of the error raised when the keyring does not answer in time."""
    return (
        f"keyring did not answer within {timeout:g}s (is it locked?) when asked to {what}; "
        "unlock it, or set LIVELIKE_KEYRING_TIMEOUT to wait longer"
    )


def call_with_timeout(function: Callable[[], T], *, timeout: float, what: str, backend: str) -> T:
    """Run ``function`` in a daemon thread and return its result within ``timeout`` seconds.

    Exceptions from ``function`` are raised unchanged.

    Raises:
        StorageError: ``function`` did not return in time (it goes on running in
            its thread, abandoned), or too many earlier calls are still stuck.
    """
    global _abandoned
    with _abandoned_lock:
        stuck = _abandoned
    if stuck >= MAX_ABANDONED:
        raise StorageError(
            f"{timeout_message(timeout, what)} ({stuck} earlier keyring calls have not "
            "returned yet)",
            backend=backend,
        )
    import concurrent.futures  # imported at the first keyring call, not at start-up

    future: concurrent.futures.Future[T] = concurrent.futures.Future()
    state = {"finished": False, "abandoned": False}

    def run() -> None:
        global _abandoned
        try:
            result = function()
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        finally:
            with _abandoned_lock:
                state["finished"] = True
                if state["abandoned"]:
                    _abandoned -= 1

    threading.Thread(target=run, name="livelike-keyring", daemon=True).start()
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        with _abandoned_lock:
            if not state["finished"]:
                state["abandoned"] = True
                _abandoned += 1
        if not state["abandoned"]:  # it finished just as the wait ended: use its answer
            return future.result()
        raise StorageError(timeout_message(timeout, what), backend=backend) from None


class Refused(Exception):
    """The keyring broke its contract (a problem found by this backend, not raised by keyring)."""


class _Unusable(Exception):
    """The active keyring cannot keep anything (see :func:`unusable_reason`)."""


def run(
    what: str,
    operation: Callable[[Keyring], T],
    *,
    timeout: float,
    backend: str,
    hidden: list[str] | None = None,
) -> T:
    """Run ``operation`` on the active keyring within ``timeout`` seconds.

    Strings in ``hidden`` (a list ``operation`` may extend) never appear in a
    message, and an error whose text showed one is not chained.

    Raises:
        StorageError: the keyring failed, did not answer in time or is not usable.
    """
    hidden = hidden if hidden is not None else []

    def call() -> T:
        import keyring

        active = keyring.get_keyring()
        reason = unusable_reason(active)
        if reason is not None:
            raise _Unusable(reason)
        return operation(active)

    try:
        return call_with_timeout(call, timeout=timeout, what=what, backend=backend)
    except StorageError:
        raise
    except (_Unusable, Refused) as exc:
        raise StorageError(f"keyring storage could not {what}: {exc}", backend=backend) from None
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc}"
        reason = scrub(text, *hidden, mask="<token>")
        error = StorageError(f"keyring storage could not {what}: {reason}", backend=backend)
        if reason != text:  # the original error shows a token: do not chain it
            raise error from None
        raise error from exc


def _qualified_name(keyring: Keyring) -> str:
    kind = type(keyring)
    return f"{kind.__module__}.{kind.__qualname__}"


def unusable_reason(keyring: Keyring) -> str | None:
    """Why ``keyring`` cannot keep a token, or None when it can.

    ``fail.Keyring`` (no backend found: the usual state on a headless Linux
    machine), ``null.Keyring`` (keyring disabled: it stores nothing and finds
    nothing, which would read as "absent" for ever) and a ``ChainerBackend``
    chaining nothing are unusable.
    """
    from keyring.backends import chainer, fail, null

    hint = "install and unlock one (e.g. GNOME Keyring), or choose one with PYTHON_KEYRING_BACKEND"
    name = _qualified_name(keyring)
    if isinstance(keyring, fail.Keyring):
        return (
            f"no usable keyring: keyring found no backend on this machine ({name}), "
            f"as usual on a headless Linux machine; {hint}"
        )
    if isinstance(keyring, null.Keyring):
        return f"no usable keyring: keyring is disabled ({name} stores nothing); {hint}"
    if isinstance(keyring, chainer.ChainerBackend):
        chained: list[Keyring] = list(keyring.backends)
        if not chained:
            return f"no usable keyring: the active keyring ({name}) chains no backends; {hint}"
    return None

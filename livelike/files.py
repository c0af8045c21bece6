"""Files for storage backends: the data folder, private folders, atomic writes and locks.

The public toolkit livelike's own backends use and plugins may use too:

- :func:`default_home`: ``$LIVELIKE_HOME``, else the user data folder;
- :func:`private_dir`: a folder only its owner can read (0700);
- :func:`write_atomically`: replace a file so a crash leaves the old or the new one;
- :func:`write_note`: the same for a small JSON note whose loss is harmless;
- :class:`FileLock`: an OS file lock, reentrant in a thread, released if its holder dies;
- :func:`path_failure`: the :class:`~livelike.errors.StorageError` for a failed file operation;
- :func:`scrub`: text with secrets replaced, for messages and logs;
- :func:`positive_seconds` and :func:`seconds_setting`: timeouts given as
  arguments or in the environment.

Example::

    from livelike.files import FileLock, default_home, private_dir, write_atomically

    folder = private_dir(default_home() / "mystore")
    write_atomically(folder / "entry.json", text)
    with FileLock(folder / "entry.lock", timeout=60, backend="mystore", what="entry"):
        ...
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import os
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

from livelike.errors import StorageError

__all__ = [
    "HOME_VARIABLE",
    "LOCK_TIMEOUT",
    "FileLock",
    "default_home",
    "path_failure",
    "positive_seconds",
    "private_dir",
    "scrub",
    "seconds_setting",
    "write_atomically",
    "write_note",
]

logger = logging.getLogger("livelike")

HOME_VARIABLE = "LIVELIKE_HOME"
"""The environment variable that moves livelike's data folder."""
LOCK_TIMEOUT = 60.0
"""Seconds a lock waits for another holder, unless told otherwise."""
STALE_TEMPORARY_SECONDS = 600.0


def default_home() -> Path:
    """``$LIVELIKE_HOME``, else platformdirs' user data dir for livelike (read at each call)."""
    configured = os.environ.get(HOME_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("livelike", appauthor=False))


def private_dir(path: Path, *, own: bool = False) -> Path:
    """Create ``path`` and its missing parents (mode 0700), or check the existing folder.

    Only folders created here are chmodded, and, with ``own``, the SDK's own
    subfolders (``tokens/``, ``locks/``, ``forgotten/``) when they are looser
    than 0700. A folder that others can write to (group or world writable,
    e.g. ``/tmp``'s 1777) or that another user owns is refused, never changed.
    Returns ``path``.

    Raises:
        PermissionError: the folder is not private; ``strerror`` says why.
        OSError: the folder cannot be created.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
            folder.chmod(0o700)  # whatever the umask: this folder is the SDK's
    if path in missing or not hasattr(os, "getuid"):  # Windows: no POSIX modes to check
        return path
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != os.getuid():
        raise _not_private(path, f"it is owned by another user (uid {info.st_uid})")
    if mode & 0o022:
        raise _not_private(path, f"others can write to it (mode {mode:o})")
    if own and mode & 0o077:
        path.chmod(0o700)
    return path


def _not_private(path: Path, why: str) -> PermissionError:
    return PermissionError(
        errno.EPERM,
        f"{path} is not a private folder: {why}, so tokens kept there could be read, "
        f"swapped or removed; use a folder only you can write to (set {HOME_VARIABLE}, "
        "or chmod 700 it yourself); livelike changes the mode only of folders it created",
        str(path),
    )


def path_failure(
    backend: str, action: str, subject: object, path: Path, exc: BaseException
) -> StorageError:
    """``<backend> storage could not <action> for <subject>: <path>: <reason>``.

    ``subject`` may be None (then ``for ...`` is left out). Raise it ``from exc``.
    """
    what = f" for {subject}" if subject is not None else ""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return StorageError(
        f"{backend} storage could not {action}{what}: {path}: {reason}", backend=backend
    )


def scrub(text: str, *secrets: str, mask: str = "***") -> str:
    """``text`` with every non-empty string of ``secrets`` replaced by ``mask``.

    Longer secrets are replaced first, so one that contains another is hidden whole.
    Example: ``scrub(f"bad entry {raw}", record.access_token)``.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, mask)
    return text


def positive_seconds(value: object) -> bool:
    """Whether ``value`` is a finite positive number of seconds (an int or a float, not a bool)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def seconds_setting(variable: str, default: float) -> float:
    """The seconds in environment variable ``variable``; ``default`` when it is unset or blank.

    Raises:
        ValueError: the variable is not a finite positive number; the message names
            the variable and its value, for the caller's own error.
    """
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not positive_seconds(value):
        raise ValueError(f"{variable} must be a positive number of seconds, not {raw!r}")
    return value


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":  # a folder cannot be opened there; NTFS journals the rename
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: a crash leaves the old file or the new one.

    The file is created 0600 (temporary file, fsync, rename, fsync of the
    folder). Raises OSError on failure, leaving ``path`` as it was.
    """
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    _remove_stale_temporaries(path)


def _remove_stale_temporaries(path: Path) -> None:
    """Remove temporary files a killed writer left beside ``path`` (older than 10 minutes)."""
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < cutoff:
                stale.unlink()


def write_note(path: Path, data: Any, *, what: str, level: int = logging.DEBUG) -> bool:
    """Write ``data`` as JSON to ``path`` atomically, in a private folder; never raise OSError.

    For notes whose loss costs nothing but time (a cache, a breadcrumb): a
    failure is logged at ``level`` as ``could not write <what> <path>: <reason>``.
    Returns whether the note was written.
    """
    try:
        private_dir(path.parent)
        write_atomically(path, json.dumps(data))
    except OSError as exc:
        logger.log(level, "could not write %s %s: %s", what, path, exc)
        return False
    return True


class _Holder:
    """This process's hold on one lock file: the thread that owns it and how deeply."""

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.depth = 0
        self.users = 0
        self.os_lock: Any = None


_holders: dict[str, _Holder] = {}
_holders_lock = threading.Lock()


def _forget_holders_after_fork() -> None:
    """A child of ``fork()`` holds no lock: a parent thread's hold would otherwise stay
    taken for ever in the child, which has no such thread to release it."""
    global _holders, _holders_lock
    _holders, _holders_lock = {}, threading.Lock()


os.register_at_fork(after_in_child=_forget_holders_after_fork)


class FileLock:
    """An OS file lock (``filelock``) at ``path``, reporting failures as StorageError.

    It excludes other processes of the host that use the same path, and other
    threads of this process; it is reentrant in one thread (nested ``with``
    blocks on the same path hold it once). The kernel releases it if the
    holding process dies, so a crashed holder never blocks others. Its scope
    is ``"host"``: a store other hosts share needs a lock in the store itself.

    Example (a backend without a lock of its own)::

        def lock(self, key):
            return FileLock(default_home() / "locks" / f"mine-{key.digest}.lock",
                            timeout=60, backend=self.name, what=str(key))

    Raises (on entering):
        StorageError: the wait passed ``timeout`` seconds, or the folder cannot
            hold a lock file (then it could not hold a token either).
    """

    def __init__(self, path: Path, *, timeout: float, backend: str, what: str) -> None:
        self.path = path
        self.timeout = timeout
        self._backend = backend
        self._what = what

    def _timed_out(self, exc: BaseException | None = None) -> StorageError:
        error = StorageError(
            f"{self._backend} storage timed out after {self.timeout:g}s waiting for "
            f"the lock {self.path} for {self._what}",
            backend=self._backend,
        )
        error.__cause__ = exc
        return error

    def _holder(self, delta: int) -> _Holder:
        name = str(self.path)
        with _holders_lock:
            holder = _holders.setdefault(name, _Holder())
            holder.users += delta
            if holder.users <= 0:
                del _holders[name]
            return holder

    def __enter__(self) -> None:
        import filelock

        started = time.monotonic()
        holder = self._holder(+1)
        if not holder.thread_lock.acquire(timeout=self.timeout):
            self._holder(-1)
            raise self._timed_out()
        if holder.depth == 0:
            try:
                private_dir(self.path.parent.parent)
                private_dir(self.path.parent, own=True)
                os_lock = filelock.FileLock(str(self.path), timeout=-1, mode=0o600)
                remaining = max(0.0, self.timeout - (time.monotonic() - started))
                os_lock.acquire(timeout=remaining)
            except BaseException as exc:
                holder.thread_lock.release()
                self._holder(-1)
                if isinstance(exc, filelock.Timeout):
                    raise self._timed_out(exc) from exc
                if isinstance(exc, OSError):
                    raise path_failure(
                        self._backend, "take the lock", self._what, self.path, exc
                    ) from exc
                raise
            holder.os_lock = os_lock
        holder.depth += 1

    def __exit__(self, *exc_info: object) -> None:
        holder = self._holder(0)
        holder.depth -= 1
        try:
            if holder.depth == 0 and holder.os_lock is not None:
                os_lock, holder.os_lock = holder.os_lock, None
                os_lock.release()
        finally:
            holder.thread_lock.release()
            self._holder(-1)

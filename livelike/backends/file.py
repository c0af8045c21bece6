"""The ``file`` backend: one JSON file per key under the user data folder.

Folder: ``$LIVELIKE_HOME`` or platformdirs' user data dir for ``livelike``;
tokens in ``tokens/`` (mode 0700), each file 0600, written atomically
(temporary file, fsync, rename, fsync of the folder) so a crash leaves the
old record or the new one, never a torn file. A file that cannot be read or
parsed is reported with its path and never overwritten. Deleting moves the
file into ``forgotten/`` rather than erasing the token.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from livelike.errors import StorageError
from livelike.hookspecs import hookimpl
from livelike.storage import LockScope, StorageBackend, StorageKey, TokenRecord

logger = logging.getLogger("livelike")

HOME_VARIABLE = "LIVELIKE_HOME"
FORMAT = 1
LOCK_TIMEOUT = 60.0
STALE_TEMPORARY_SECONDS = 600.0


def default_home() -> Path:
    """``$LIVELIKE_HOME``, else platformdirs' user data dir for livelike."""
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


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":  # a folder cannot be opened there; NTFS journals the rename
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def path_failure(
    backend: str, action: str, subject: object, path: Path, exc: BaseException
) -> StorageError:
    """``<backend> storage could not <action> for <subject>: <path>: <reason>``."""
    what = f" for {subject}" if subject is not None else ""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return StorageError(
        f"{backend} storage could not {action}{what}: {path}: {reason}", backend=backend
    )


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: a crash leaves the old file or the new one.

    The file is created 0600. Raises OSError on failure, leaving ``path`` as it was.
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


class FileBackend(StorageBackend):
    """Saves each key's record as a JSON file under ``home``."""

    name: ClassVar[str] = "file"
    writable: ClassVar[bool] = True
    persistent: ClassVar[bool] = True
    lock_scope: LockScope = "host"

    def __init__(
        self, home: Path | str | None = None, *, lock_timeout: float = LOCK_TIMEOUT
    ) -> None:
        self._home = Path(home) if home is not None else None
        self.lock_timeout = lock_timeout

    @property
    def home(self) -> Path:
        """The folder holding ``tokens/``, ``locks/`` and ``forgotten/``."""
        return self._home if self._home is not None else default_home()

    def path_for(self, key: StorageKey) -> Path:
        """The token file for ``key`` (it may not exist)."""
        return self.home / "tokens" / f"{key.digest}.json"

    def _fail(
        self, action: str, key: StorageKey | None, path: Path, exc: BaseException
    ) -> StorageError:
        return path_failure(self.name, action, key, path, exc)

    def _read(self, path: Path, key: StorageKey | None) -> dict[str, Any] | None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise self._fail("read the saved token", key, path, exc) from exc
        self._check_owner(path, key)
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("not a livelike token file")
            StorageKey.from_dict(data.get("key", {}))
            TokenRecord.from_dict(data.get("record", {}))
        except (ValueError, TypeError, AttributeError) as exc:  # wrong types in a hand edit
            hint = "`livelike token forget`"
            if key is not None:
                hint = (
                    f"`livelike token forget --client-id {key.client_id} --subject {key.subject!r}`"
                )
            raise StorageError(
                f"file storage found a corrupt token file for {key or 'a key'}: {path}: {exc}. "
                f"It was left as it is; move it aside with {hint} (which keeps a copy) "
                "or repair it by hand.",
                backend=self.name,
            ) from exc
        return data

    def _check_owner(self, path: Path, key: StorageKey | None) -> None:
        """Refuse a token file another user owns; tighten one that others can read."""
        if not hasattr(os, "getuid"):
            return
        try:
            info = path.stat()
            if info.st_uid != os.getuid():
                raise StorageError(
                    f"file storage refuses the token file for {key or 'a key'}: {path} is "
                    f"owned by another user (uid {info.st_uid}), who could have planted or "
                    "read it. Remove it, or give it to this user (chown) if it is yours.",
                    backend=self.name,
                )
            mode = stat.S_IMODE(info.st_mode)
            if mode & 0o077:
                path.chmod(0o600)
                logger.warning(
                    "file storage: the token file %s was open to other users (mode %o); "
                    "it is now 0600",
                    path,
                    mode,
                )
        except OSError as exc:
            raise self._fail("check the saved token's file", key, path, exc) from exc

    def get(self, key: StorageKey) -> TokenRecord | None:
        """The record in the key's file, None if there is no file.

        Raises:
            StorageError: the file exists but cannot be read or parsed.
        """
        path = self.path_for(key)
        data = self._read(path, key)
        if data is None:
            return None
        if StorageKey.from_dict(data["key"]) != key:
            raise StorageError(
                f"file storage found a token file for another key at {path}", backend=self.name
            )
        return TokenRecord.from_dict(data["record"])

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        """Write the record atomically, file 0600 in a 0700 folder.

        Raises:
            StorageError: the folder or file cannot be written (read-only, full disk...).
        """
        path = self.path_for(key)
        text = json.dumps(
            {"format": FORMAT, "key": key.as_dict(), "record": record.as_dict()}, indent=2
        )
        try:
            private_dir(self.home)
            private_dir(path.parent, own=True)
            write_atomically(path, text + "\n")
        except OSError as exc:
            raise self._fail("save the token", key, path, exc) from exc

    def delete(self, key: StorageKey) -> bool:
        """Move the key's file into ``forgotten/`` (the token is kept, not erased)."""
        path = self.path_for(key)
        if not path.exists():
            return False
        target_dir = self.home / "forgotten"
        target = (
            target_dir / f"{key.digest}.{time.strftime('%Y%m%dT%H%M%S')}.{os.urandom(3).hex()}.json"
        )
        try:
            private_dir(self.home)
            private_dir(target_dir, own=True)
            os.replace(path, target)
        except OSError as exc:
            raise self._fail("move the token file aside", key, path, exc) from exc
        return True

    def keys(self) -> Iterator[StorageKey]:
        """Every key with a readable token file."""
        folder = self.home / "tokens"
        try:
            paths = sorted(folder.glob("*.json"))
        except OSError as exc:
            raise self._fail("list saved tokens", None, folder, exc) from exc
        for path in paths:
            data = self._read(path, None)
            if data is not None:
                yield StorageKey.from_dict(data["key"])

    def lock(self, key: StorageKey) -> contextlib.AbstractContextManager[None]:
        """An OS file lock beside the data; released by the kernel if the holder dies."""
        path = self.home / "locks" / f"{key.digest}.lock"
        return FileLock(path, timeout=self.lock_timeout, backend=self.name, what=str(key))

    def describe(self) -> str:
        """The folder of token files."""
        return str(self.home / "tokens")


class FileLock:
    """An OS file lock (``filelock``) at ``path``, reporting failures as StorageError.

    The kernel releases it if the holding process dies, so a crashed holder
    never blocks others. Backends without a lock of their own (a keyring, say)
    can use it for the lock contract::

        def lock(self, key):
            return FileLock(default_home() / "locks" / f"mine-{key.digest}.lock",
                            timeout=60, backend=self.name, what=str(key))
    """

    def __init__(self, path: Path, *, timeout: float, backend: str, what: str) -> None:
        self.path = path
        self.timeout = timeout
        self._backend = backend
        self._what = what
        self._lock: Any = None

    def __enter__(self) -> None:
        import filelock

        try:
            private_dir(self.path.parent.parent)
            private_dir(self.path.parent, own=True)
            self._lock = filelock.FileLock(str(self.path), timeout=self.timeout, mode=0o600)
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise StorageError(
                f"{self._backend} storage timed out after {self.timeout:g}s waiting for "
                f"the lock {self.path} for {self._what}",
                backend=self._backend,
            ) from exc
        except OSError as exc:
            # A folder that cannot hold a lock file cannot hold a token either: fail
            # before any profile is created.
            raise path_failure(self._backend, "take the lock", self._what, self.path, exc) from exc

    def __exit__(self, *exc_info: object) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


@hookimpl
def livelike_register_storage(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``file`` backend."""
    register(FileBackend())

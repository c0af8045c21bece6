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
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

from livelike.errors import StorageError

# The toolkit's names, re-exported for one release: import them from livelike.files.
from livelike.files import (
    HOME_VARIABLE,
    LOCK_TIMEOUT,
    STALE_TEMPORARY_SECONDS,
    FileLock,
    default_home,
    path_failure,
    private_dir,
    write_atomically,
)
from livelike.hookspecs import hookimpl
from livelike.storage import (
    ENTRY_FORMAT,
    LockScope,
    StorageBackend,
    StorageKey,
    TokenRecord,
    decode_entry,
    encode_entry,
)

logger = logging.getLogger("livelike")

__all__ = [
    "FORMAT",
    "HOME_VARIABLE",
    "LOCK_TIMEOUT",
    "STALE_TEMPORARY_SECONDS",
    "FileBackend",
    "FileLock",
    "default_home",
    "livelike_register_storage",
    "path_failure",
    "private_dir",
    "write_atomically",
]

FORMAT = ENTRY_FORMAT


class FileBackend(StorageBackend):
    """Saves each key's record as a JSON file under ``home``."""

    name: ClassVar[str] = "file"
    writable: ClassVar[bool] = True
    persistent: ClassVar[bool] = True
    priority: ClassVar[int] = 100
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

    def _read(self, path: Path, key: StorageKey | None) -> tuple[StorageKey, TokenRecord] | None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise self._fail("read the saved token", key, path, exc) from exc
        self._check_owner(path, key)
        try:
            return decode_entry(text)
        except ValueError as exc:
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

    def get(self, key: StorageKey) -> TokenRecord | None:
        """The record in the key's file, None if there is no file.

        Raises:
            StorageError: the file exists but cannot be read or parsed.
        """
        path = self.path_for(key)
        entry = self._read(path, key)
        if entry is None:
            return None
        if entry[0] != key:
            raise StorageError(
                f"file storage found a token file for another key at {path}", backend=self.name
            )
        return entry[1]

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        """Write the record atomically, file 0600 in a 0700 folder.

        Raises:
            StorageError: the folder or file cannot be written (read-only, full disk...).
        """
        path = self.path_for(key)
        text = encode_entry(key, record, indent=2)
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
        """Every key with a token file.

        Raises:
            StorageError: the folder or a file cannot be read or parsed.
        """
        folder = self.home / "tokens"
        try:  # not Path.glob: it reads an unreadable folder as an empty one
            names = sorted(name for name in os.listdir(folder) if name.endswith(".json"))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._fail("list saved tokens", None, folder, exc) from exc
        for path in (folder / name for name in names):
            entry = self._read(path, None)
            if entry is not None:
                yield entry[0]

    def lock(self, key: StorageKey) -> contextlib.AbstractContextManager[None]:
        """An OS file lock beside the data; released by the kernel if the holder dies."""
        path = self.home / "locks" / f"{key.digest}.lock"
        return FileLock(path, timeout=self.lock_timeout, backend=self.name, what=str(key))

    def describe(self) -> str:
        """The folder of token files."""
        return str(self.home / "tokens")


@hookimpl
def livelike_register_storage(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``file`` backend."""
    register(FileBackend())

"""An example livelike storage plugin: one JSON file per key in a folder.

Registered through the ``livelike`` entry-point group as ``example``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import livelike
from livelike.errors import StorageError
from livelike.files import FileLock, private_dir, write_atomically
from livelike.storage import (
    LockScope,
    StorageBackend,
    StorageKey,
    TokenRecord,
    decode_entry,
    encode_entry,
)

DIR_VARIABLE = "LIVELIKE_EXAMPLE_DIR"


def default_folder() -> Path:
    """``$LIVELIKE_EXAMPLE_DIR``, else the user data folder for livelike-example."""
    configured = os.environ.get(DIR_VARIABLE)
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_data_dir("livelike-example", appauthor=False))


class DirectoryBackend(StorageBackend):
    """Saves livelike's entry (:func:`~livelike.storage.encode_entry`) as
    ``<folder>/<key digest>.json``."""

    name: ClassVar[str] = "example"
    writable: ClassVar[bool] = True
    persistent: ClassVar[bool] = True
    priority: ClassVar[int] = 10
    lock_scope: LockScope = "host"

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder

    @property
    def folder(self) -> Path:
        """Where the files are (resolved at each use, so the variable can change)."""
        return self._folder or default_folder()

    def probe(self) -> None:
        """Viable when the folder exists or can be created."""
        private_dir(self.folder)

    def get(self, key: StorageKey) -> TokenRecord | None:
        """The record, None if there is no file; StorageError if it cannot be read."""
        path = self.folder / f"{key.digest}.json"
        try:
            stored, record = decode_entry(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StorageError(
                f"example storage cannot read {path}: {exc}", backend=self.name
            ) from exc
        if stored != key:
            raise StorageError(f"example storage: {path} holds another key", backend=self.name)
        return record

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        """Write the file atomically (0600 in a 0700 folder)."""
        try:
            write_atomically(
                private_dir(self.folder) / f"{key.digest}.json", encode_entry(key, record)
            )
        except OSError as exc:
            raise StorageError(f"example storage cannot save: {exc}", backend=self.name) from exc

    def delete(self, key: StorageKey) -> bool:
        """Move the file into ``forgotten/`` (the token is kept); True if there was one."""
        path = self.folder / f"{key.digest}.json"
        aside = self.folder / "forgotten" / f"{key.digest}.{os.urandom(4).hex()}.json"
        try:
            private_dir(aside.parent)
            os.replace(path, aside)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"example storage cannot forget: {exc}", backend=self.name) from exc
        return True

    def keys(self) -> Iterator[StorageKey]:
        """Every key with a file; StorageError if the folder or a file cannot be read."""
        try:  # os.listdir, not Path.glob: glob reads an unreadable folder as an empty one
            names = sorted(n for n in os.listdir(self.folder) if n.endswith(".json"))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StorageError(f"example storage cannot list: {exc}", backend=self.name) from exc
        for name in names:
            try:
                key, _ = decode_entry((self.folder / name).read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue  # deleted while listing
            except (OSError, ValueError) as exc:
                raise StorageError(
                    f"example storage cannot read {self.folder / name}: {exc}", backend=self.name
                ) from exc
            yield key

    def lock(self, key: StorageKey) -> contextlib.AbstractContextManager[None]:
        """A file lock in the folder, so processes never create twice."""
        path = self.folder / "locks" / f"{key.digest}.lock"
        return FileLock(path, timeout=60, backend=self.name, what=str(key))

    def describe(self) -> str:
        """The folder."""
        return str(self.folder)


@livelike.hookimpl
def livelike_register_storage(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``example`` backend."""
    register(DirectoryBackend())

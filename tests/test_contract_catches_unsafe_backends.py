"""The contract suite fails backends that would create duplicate profiles, each with a
message that says what to fix; the same store done right passes the same tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

STORES = '''
import contextlib, json, os
from pathlib import Path
from livelike.errors import StorageError
from livelike.files import FileLock, default_home, private_dir, write_atomically
from livelike.storage import StorageBackend, StorageKey, TokenRecord


class FolderStore(StorageBackend):
    """One JSON file per key in $SHARED_STORE_DIR, locked beside the data: done right."""

    name = "folder"
    writable = True
    lock_scope = "host"

    @property
    def folder(self):
        return Path(os.environ["SHARED_STORE_DIR"])

    def _path(self, key):
        return self.folder / f"{key.digest}.json"

    def get(self, key):
        try:
            data = json.loads(self._path(key).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StorageError(f"folder store: {exc}", backend=self.name) from exc
        return TokenRecord.from_dict(data["record"])

    def put(self, key, record):
        text = json.dumps({"key": key.as_dict(), "record": record.as_dict()})
        try:
            write_atomically(private_dir(self.folder) / f"{key.digest}.json", text)
        except OSError as exc:
            raise StorageError(f"folder store: {exc}", backend=self.name) from exc

    def delete(self, key):
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"folder store: {exc}", backend=self.name) from exc
        return True

    def keys(self):
        try:
            names = [n for n in os.listdir(self.folder) if n.endswith(".json")]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageError(f"folder store: {exc}", backend=self.name) from exc
        found = []
        for name in names:
            try:
                data = json.loads((self.folder / name).read_text())
                found.append(StorageKey.from_dict(data["key"]))
            except (OSError, ValueError) as exc:
                raise StorageError(f"folder store: {exc}", backend=self.name) from exc
        return found

    def lock(self, key):
        path = self.folder / "locks" / f"{key.digest}.lock"
        return FileLock(path, timeout=60, backend=self.name, what=str(key))


class NoLock(FolderStore):
    """Forgets to lock."""

    lock_scope = "process"

    def lock(self, key):
        return contextlib.nullcontext()


class Swallowing(FolderStore):
    """Reads an unreadable store as "no token saved"."""

    def get(self, key):
        try:
            return super().get(key)
        except StorageError:
            return None


class HostLockOnShared(FolderStore):
    """A store other hosts see, guarded by a lock only this host sees."""

    def lock(self, key):
        path = default_home() / "locks" / f"shared-{key.digest}.lock"
        return FileLock(path, timeout=60, backend=self.name, what=str(key))
'''

SUITE = """
import pytest
import broken_stores
from livelike.testing import BackendContract


class _Store(BackendContract):
    @pytest.fixture(autouse=True)
    def _shared_folder(self, tmp_path, monkeypatch):
        self.folder = tmp_path / "shared-store"
        monkeypatch.setenv("SHARED_STORE_DIR", str(self.folder))

    def make_backend(self):
        return getattr(broken_stores, self.factory.partition(":")[2])()

    def subprocess_env(self):
        return {"SHARED_STORE_DIR": str(self.folder)}


class TestFolderStore(_Store):
    factory = "broken_stores:FolderStore"


class TestNoLock(_Store):
    factory = "broken_stores:NoLock"


class TestSwallowing(_Store):
    factory = "broken_stores:Swallowing"


class TestHostLockOnShared(_Store):
    factory = "broken_stores:HostLockOnShared"
"""

SELECTED = "lock_excludes or unreachable_store_raises_on_get or separate_homes"


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str | None]:
    """Run the selected contract tests on the four stores in a fresh pytest:
    (class, test) -> None when it passed, else the failure message."""
    folder = tmp_path_factory.mktemp("unsafe-backends")
    (folder / "broken_stores.py").write_text(textwrap.dedent(STORES))
    (folder / "test_stores.py").write_text(textwrap.dedent(SUITE))
    (folder / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVELIKE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    report = folder / "report.xml"
    options = ["-q", "-p", "no:cacheprovider", "-k", SELECTED, f"--junitxml={report}"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "test_stores.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert report.exists(), result.stdout + result.stderr
    found: dict[tuple[str, str], str | None] = {}
    for case in ET.parse(report).iter("testcase"):  # noqa: S314 (the report pytest just wrote)
        failure = case.find("failure")
        key = (case.get("classname", "").rpartition(".")[2], case.get("name", ""))
        found[key] = None if failure is None else failure.get("message", "")
    return found


def test_the_store_done_right_passes_the_tests_the_others_fail(
    outcomes: dict[tuple[str, str], str | None],
) -> None:
    passed = {
        name: message for (cls, name), message in outcomes.items() if cls == "TestFolderStore"
    }
    assert len(passed) == 3
    assert all(message is None for message in passed.values()), passed


def test_a_backend_without_a_lock_fails(outcomes: dict[tuple[str, str], str | None]) -> None:
    message = outcomes["TestNoLock", "test_lock_excludes_other_processes_for_the_same_key_only"]
    assert message is not None
    assert "another process took lock(key) while this process held it" in message
    assert "lock() must exclude every other process" in message


def test_a_backend_that_swallows_errors_fails(outcomes: dict[tuple[str, str], str | None]) -> None:
    message = outcomes["TestSwallowing", "test_unreachable_store_raises_on_get"]
    assert message is not None
    assert "get(key) returned None while every new socket connection was refused" in message
    assert "the backend swallowed the error" in message
    assert "must raise livelike.errors.StorageError" in message


def test_a_host_lock_on_a_shared_store_fails(outcomes: dict[tuple[str, str], str | None]) -> None:
    name = "test_processes_in_separate_homes_over_a_shared_store_create_one_profile"
    message = outcomes["TestHostLockOnShared", name]
    assert message is not None
    assert "the store is shared, as between hosts" in message
    assert "A store several hosts share needs lock_scope 'shared'" in message
    # within one home its FileLock does exclude: only the cross-home test catches it
    assert (
        outcomes["TestHostLockOnShared", "test_lock_excludes_other_processes_for_the_same_key_only"]
        is None
    )

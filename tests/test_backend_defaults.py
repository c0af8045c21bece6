"""StorageBackend defaults choose the safe side; livelike.files is the backends' toolkit."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from livelike import files
from livelike.backends import file as file_backend
from livelike.errors import StorageError
from livelike.storage import StorageBackend, StorageKey, TokenRecord

KEY = StorageKey("https://api.example", "client", "default")


class Minimal(StorageBackend):
    """A backend that implements only get."""

    name = "minimal"

    def get(self, key: StorageKey) -> TokenRecord | None:
        return None


class Writable(Minimal):
    name = "writable-minimal"
    writable = True


def test_a_backend_is_read_only_unless_it_says_otherwise() -> None:
    backend = Minimal()
    assert backend.writable is False
    with pytest.raises(StorageError, match="read-only"):
        backend.put(KEY, TokenRecord("t"))


def test_a_backend_without_get_cannot_be_built() -> None:
    class NoGet(StorageBackend):
        name = "noget"

    with pytest.raises(TypeError, match="get"):
        NoGet()  # type: ignore[abstract]


def test_the_default_lock_of_a_persistent_writable_backend_is_a_host_file_lock(
    home: Path,
) -> None:
    backend = Writable()
    assert backend.lock_scope == "host"
    with backend.lock(KEY):
        assert (home / "locks" / f"writable-minimal-{KEY.digest}.lock").exists()


def test_a_backend_whose_lock_excludes_nothing_is_process_scoped() -> None:
    assert Minimal().lock_scope == "process"  # read-only: no lock

    class Volatile(Writable):
        persistent = False

    assert Volatile().lock_scope == "process"


_HOLD_LOCK = """
import sys, time
from pathlib import Path
from livelike.files import FileLock
with FileLock(Path(sys.argv[1]), timeout=0.5, backend="t", what="k"):
    print("locked", flush=True)
"""


def test_file_lock_is_reentrant_in_a_thread_and_excludes_other_processes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locks" / "k.lock"
    done = threading.Event()

    def nested() -> None:
        with (
            files.FileLock(path, timeout=5, backend="t", what="k"),
            files.FileLock(path, timeout=5, backend="t", what="k"),
        ):
            other = subprocess.run(
                [sys.executable, "-c", _HOLD_LOCK, str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert other.returncode != 0
            assert "timed out after 0.5s waiting for the lock" in other.stderr
        done.set()

    worker = threading.Thread(target=nested, daemon=True)
    worker.start()
    worker.join(30)
    assert done.is_set(), "a nested FileLock on one path deadlocked its own thread"
    again = subprocess.run(
        [sys.executable, "-c", _HOLD_LOCK, str(path)], capture_output=True, text=True, check=False
    )
    assert again.stdout.strip() == "locked", again.stderr


def test_file_lock_excludes_another_thread(tmp_path: Path) -> None:
    path = tmp_path / "k.lock"
    with files.FileLock(path, timeout=5, backend="t", what="k"):
        errors: list[BaseException] = []

        def other() -> None:
            try:
                with files.FileLock(path, timeout=0.2, backend="t", what="k"):
                    pass
            except StorageError as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert errors, "another thread took a lock this thread holds"


def test_private_dir_creates_missing_parents_private(tmp_path: Path) -> None:
    folder = files.private_dir(tmp_path / "a" / "b" / "c")
    for path in (folder, folder.parent, folder.parent.parent):
        assert path.stat().st_mode & 0o777 == 0o700


def test_write_note_writes_json_and_never_raises_os_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    note = tmp_path / "notes" / "n.json"
    assert files.write_note(note, {"a": 1}, what="the test note") is True
    assert note.read_text() == '{"a": 1}'
    assert note.stat().st_mode & 0o777 == 0o600
    blocker = tmp_path / "file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="livelike"):
        written = files.write_note(
            blocker / "n.json", {"a": 1}, what="the test note", level=logging.WARNING
        )
    assert written is False
    assert "could not write the test note" in caplog.text


def test_scrub_hides_every_secret_longest_first() -> None:
    text = files.scrub("token abc and abcdef and xyz", "abc", "abcdef", "")
    assert text == "token *** and *** and xyz"
    assert files.scrub("a", mask="<token>") == "a"


def test_the_file_backend_module_still_exports_the_toolkit_for_one_release() -> None:
    for name in ("FileLock", "default_home", "private_dir", "write_atomically", "path_failure"):
        assert getattr(file_backend, name) is getattr(files, name)


def test_default_home_follows_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert files.default_home() == home
    monkeypatch.setenv("LIVELIKE_HOME", os.fspath(home / "elsewhere"))
    assert files.default_home() == home / "elsewhere"


def test_one_entry_format_round_trips_and_its_errors_hide_tokens() -> None:
    from livelike.storage import decode_entry, encode_entry

    record = TokenRecord("entry-token-1").replaced_by("entry-token-2", "p", "replaced")
    assert decode_entry(encode_entry(KEY, record)) == (KEY, record)
    assert record.tokens() == ("entry-token-2", "entry-token-1")
    broken = encode_entry(KEY, record).replace('"saved_at":"', '"saved_at":"entry-token-2 ')
    with pytest.raises(ValueError, match="Invalid isoformat") as caught:
        decode_entry(broken)
    assert "entry-token" not in str(caught.value)
    with pytest.raises(ValueError, match="not a livelike token entry"):
        decode_entry('{"format": 2}')

"""Test keyrings that work headless, and the factory the contract suite imports.

This module holds no tests. Other processes load the same keyring with
``PYTHON_KEYRING_BACKEND=test_keyring_support.FolderKeyring`` and this folder
on ``PYTHONPATH`` (see :func:`subprocess_env`); the entries live in one file
each under ``$LIVELIKE_TEST_KEYRING_DIR``, written atomically, so processes
racing on different entries never lose each other's writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from pathlib import Path
from typing import ClassVar

from keyring.backend import KeyringBackend as Keyring
from keyring.compat import properties
from keyring.errors import KeyringError, KeyringLocked, PasswordDeleteError, PasswordSetError
from livelike_keyring import KeyringBackend

TESTS_DIR = Path(__file__).resolve().parent
DIR_VARIABLE = "LIVELIKE_TEST_KEYRING_DIR"
LOCK_DIR_VARIABLE = "LIVELIKE_KEYRING_LOCK_DIR"
HANG_START_VARIABLE = "LIVELIKE_TEST_KEYRING_HANG_START"
RELEASE = threading.Event()
"""Set at the end of each test: releases every call a test keyring is holding up."""
HOLD_SECONDS = 10.0


def make_backend() -> KeyringBackend:
    """The backend under test, configured only through the environment."""
    return KeyringBackend()


def subprocess_env() -> dict[str, str]:
    """Environment that makes another process use this test's keyring and folders."""
    path = [str(TESTS_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        "PYTHONPATH": os.pathsep.join(path),
        "PYTHON_KEYRING_BACKEND": f"{__name__}.FolderKeyring",
        "LIVELIKE_HOME": os.environ["LIVELIKE_HOME"],
        DIR_VARIABLE: os.environ[DIR_VARIABLE],
        LOCK_DIR_VARIABLE: os.environ[LOCK_DIR_VARIABLE],  # one per keyring, like the user's
    }
    if "LIVELIKE_CONFIG" in os.environ:
        env["LIVELIKE_CONFIG"] = os.environ["LIVELIKE_CONFIG"]
    return env


class FolderKeyring(Keyring):
    """A real keyring backend: each entry a JSON file in ``$LIVELIKE_TEST_KEYRING_DIR``."""

    @properties.classproperty
    def priority(cls) -> float:
        return 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        if os.environ.get(HANG_START_VARIABLE):
            RELEASE.wait(HOLD_SECONDS)  # a keyring whose start-up never ends (D-Bus, say)

    @staticmethod
    def folder() -> Path:
        """Where the entries are."""
        configured = os.environ.get(DIR_VARIABLE)
        if not configured:
            raise KeyringError(f"{DIR_VARIABLE} is not set")
        return Path(configured)

    def _path(self, service: str, username: str) -> Path:
        digest = hashlib.sha256(f"{service}\x00{username}".encode()).hexdigest()
        return self.folder() / f"{digest}.json"

    def get_password(self, service: str, username: str) -> str | None:
        try:
            text = self._path(service, username).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        password = json.loads(text)["password"]
        assert isinstance(password, str)
        return password

    def set_password(self, service: str, username: str, password: str) -> None:
        path = self._path(service, username)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        body = {"service": service, "username": username, "password": password}
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, path)

    def delete_password(self, service: str, username: str) -> None:
        try:
            self._path(service, username).unlink()
        except FileNotFoundError:
            raise PasswordDeleteError("no such password") from None

    @classmethod
    def entries(cls) -> dict[tuple[str, str], str]:
        """Every entry: (service, username) -> password."""
        found: dict[tuple[str, str], str] = {}
        if not cls.folder().exists():
            return found
        for path in cls.folder().glob("*.json"):
            body = json.loads(path.read_text(encoding="utf-8"))
            found[body["service"], body["username"]] = body["password"]
        return found


class LockedKeyring(FolderKeyring):
    """Every read fails the way a locked Secret Service does."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")


class HangingKeyring(FolderKeyring):
    """Every read waits (for an unlock prompt nobody answers) until the test ends."""

    def get_password(self, service: str, username: str) -> str | None:
        RELEASE.wait(HOLD_SECONDS)
        return super().get_password(service, username)


class ForgetfulKeyring(FolderKeyring):
    """Accepts writes and keeps nothing."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


class EchoingKeyring(FolderKeyring):
    """Rejects writes with an error that repeats the password."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError(f"cannot store {password!r}")


class RecordingKeyring(FolderKeyring):
    """Counts the calls made to it."""

    calls: ClassVar[list[str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append("get_password")
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append("set_password")
        super().set_password(service, username, password)

"""A keyring entry stays within Windows Credential Manager's 2,560 bytes.

``sys.platform`` is patched to ``win32`` and the test keyring refuses, as
Credential Manager does, an entry over 2,560 bytes of UTF-16.
"""

from __future__ import annotations

import json
import secrets
import sys

import filelock  # noqa: F401 - imported for this platform before sys.platform is patched
import keyring
import pytest
import test_keyring_support as support
from keyring.errors import PasswordSetError
from livelike_keyring import KeyringBackend
from livelike_keyring._entry import ENTRY_LIMIT

from livelike import _audit
from livelike.storage import StorageKey, TokenRecord, utcnow

KEY = StorageKey("https://keyring.example", "keyring-client", "default")
SNAPSHOT = {"id": "p", "nickname": "n", "url": "https://keyring.example/" + "x" * 600}


class CredentialManagerKeyring(support.FolderKeyring):
    """Refuses an entry larger than Credential Manager keeps."""

    def set_password(self, service: str, username: str, password: str) -> None:
        if len(password.encode("utf-16-le")) > 2560:
            raise PasswordSetError("CredWrite: the stub received bad data")
        super().set_password(service, username, password)


def token() -> str:
    return "eyJ" + secrets.token_urlsafe(200)  # about the size of a LiveLike token


def grown_record(replacements: int) -> tuple[TokenRecord, list[str]]:
    tokens = [token() for _ in range(replacements + 1)]
    record = TokenRecord(tokens[0], "profile-0")
    for n, value in enumerate(tokens[1:], 1):
        record = record.replaced_by(value, f"profile-{n}", "rejected by the service")
    return record.with_snapshot(SNAPSHOT, utcnow()), tokens


def test_on_windows_a_long_history_is_trimmed_oldest_first_and_noted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    keyring.set_keyring(CredentialManagerKeyring())
    record, tokens = grown_record(8)
    KeyringBackend().put(KEY, record)
    entry = support.FolderKeyring.entries()[("livelike", KEY.digest)]
    assert len(entry.encode("utf-16-le")) <= ENTRY_LIMIT
    saved = KeyringBackend().get(KEY)
    assert saved is not None
    assert saved.access_token == tokens[-1]
    kept = [old.access_token for old in saved.history]
    assert kept == tokens[len(tokens) - 1 - len(kept) : -1]  # the newest retired ones
    assert saved.profile is None  # the snapshot (a cache) went first
    dropped = [e for e in _audit.entries(every=True) if e.get("event") == "retired token dropped"]
    assert dropped
    assert [e["profile_id"] for e in dropped] == [f"profile-{n}" for n in range(len(dropped))]
    assert len(dropped) + len(kept) == 8
    assert all(e["subject"] == "default" for e in dropped)
    audit_text = _audit.audit_path().read_text()
    assert not any(t in audit_text for t in tokens)
    assert list(_audit.entries()) == []  # not shown as creations


def test_elsewhere_the_whole_record_is_kept() -> None:
    record, tokens = grown_record(8)
    KeyringBackend().put(KEY, record)
    saved = KeyringBackend().get(KEY)
    assert saved is not None
    assert [old.access_token for old in saved.history] == tokens[:-1]
    assert saved.profile == SNAPSHOT
    assert json.loads(support.FolderKeyring.entries()[("livelike", KEY.digest)])["format"] == 1

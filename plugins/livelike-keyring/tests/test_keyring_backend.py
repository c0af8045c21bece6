"""The keyring backend on its own: entries, the index, failures, timeouts, viability, secrets."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import ClassVar

import keyring
import pytest
import test_keyring_support as support
from keyring.backends import chainer, fail, null
from livelike_keyring import KeyringBackend, _calls

from livelike import _plugins
from livelike.errors import InvalidArgumentError, StorageError
from livelike.files import FileLock
from livelike.storage import StorageKey, TokenRecord

KEY = StorageKey("https://keyring.example", "keyring-client", "default")
OTHER = StorageKey("https://keyring.example", "keyring-client", "other")


def entry(key: StorageKey, service: str = "livelike") -> str | None:
    return support.FolderKeyring.entries().get((service, key.digest))


def write_entry(key: StorageKey, text: str, service: str = "livelike") -> None:
    support.FolderKeyring().set_password(service, key.digest, text)


class TestEntries:
    def test_one_entry_per_key_under_its_digest(self) -> None:
        KeyringBackend().put(KEY, TokenRecord("token-1", "profile-1"))
        data = json.loads(entry(KEY) or "")
        assert data["format"] == 1
        assert data["key"] == KEY.as_dict()
        assert data["record"]["access_token"] == "token-1"
        assert data["record"]["profile_id"] == "profile-1"

    def test_service_is_configurable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        KeyringBackend(service="elsewhere").put(KEY, TokenRecord("token-e"))
        assert entry(KEY, "elsewhere") is not None
        assert KeyringBackend().get(KEY) is None
        monkeypatch.setenv("LIVELIKE_KEYRING_SERVICE", "elsewhere")
        found = KeyringBackend().get(KEY)
        assert found is not None
        assert found.access_token == "token-e"

    def test_corrupt_entry_is_unavailable_not_absent(self) -> None:
        write_entry(KEY, "{not json")
        with pytest.raises(StorageError, match="corrupt entry") as caught:
            KeyringBackend().get(KEY)
        assert caught.value.backend == "keyring"
        assert entry(KEY) == "{not json"  # left as it was

    @pytest.mark.parametrize(
        "text",
        [
            "[]",
            '{"format": 2, "key": {}, "record": {}}',
            '{"format": 1, "key": "k", "record": {}}',
            '{"format": 1, "key": {"api_origin": "x"}, "record": {"access_token": "t"}}',
        ],
    )
    def test_entries_that_are_not_records_are_unavailable(self, text: str) -> None:
        write_entry(KEY, text)
        with pytest.raises(StorageError, match="corrupt entry"):
            KeyringBackend().get(KEY)

    def test_an_entry_for_another_key_is_unavailable(self) -> None:
        KeyringBackend().put(OTHER, TokenRecord("token-other"))
        write_entry(KEY, entry(OTHER) or "")
        with pytest.raises(StorageError, match="another key"):
            KeyringBackend().get(KEY)

    def test_a_keyring_that_keeps_nothing_fails_the_save(self) -> None:
        keyring.set_keyring(support.ForgetfulKeyring())
        with pytest.raises(StorageError, match="did not keep it"):
            KeyringBackend().put(KEY, TokenRecord("token-lost"))

    def test_delete_keeps_the_token_aside(self) -> None:
        backend = KeyringBackend()
        backend.put(KEY, TokenRecord("token-kept"))
        assert backend.delete(KEY) is True
        assert backend.get(KEY) is None
        aside = [
            password
            for (service, username), password in support.FolderKeyring.entries().items()
            if username.startswith(f"forgotten-{KEY.digest}-")
        ]
        assert len(aside) == 1
        assert json.loads(aside[0])["record"]["access_token"] == "token-kept"
        assert backend.delete(KEY) is False


class TestIndex:
    def test_keys_come_from_the_index(self) -> None:
        backend = KeyringBackend()
        backend.put(KEY, TokenRecord("t1"))
        backend.put(OTHER, TokenRecord("t2"))
        backend.put(KEY, TokenRecord("t3"))
        assert list(KeyringBackend().keys()) == [KEY, OTHER]
        backend.delete(KEY)
        assert list(backend.keys()) == [OTHER]

    def test_an_entry_missing_from_the_keyring_is_not_listed(self) -> None:
        backend = KeyringBackend()
        backend.put(KEY, TokenRecord("t1"))
        support.FolderKeyring().delete_password("livelike", KEY.digest)
        assert list(backend.keys()) == []

    def test_a_corrupt_index_lists_nothing_and_changes_no_lookup(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        backend = KeyringBackend()
        backend.put(KEY, TokenRecord("t1"))
        support.FolderKeyring().set_password("livelike", "__index__", "garbage")
        with caplog.at_level(logging.WARNING, logger="livelike"):
            assert list(backend.keys()) == []
        assert "index" in caplog.text
        found = backend.get(KEY)
        assert found is not None
        assert found.access_token == "t1"
        backend.put(OTHER, TokenRecord("t2"))  # the next save starts the index again
        assert list(backend.keys()) == [OTHER]

    def test_an_index_that_cannot_be_updated_does_not_fail_the_save(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        backend = KeyringBackend(lock_timeout=0.05)
        held = FileLock(backend.lock_path("index"), timeout=1, backend="test", what="t")
        taken, release = threading.Event(), threading.Event()

        def holder() -> None:  # another thread holds the index lock (FileLock is reentrant)
            with held:
                taken.set()
                release.wait(30)

        thread = threading.Thread(target=holder)
        thread.start()
        taken.wait(30)
        try:
            with caplog.at_level(logging.WARNING, logger="livelike"):
                backend.put(KEY, TokenRecord("t1"))
        finally:
            release.set()
            thread.join()
        assert "could not update its index" in caplog.text
        found = backend.get(KEY)
        assert found is not None
        assert found.access_token == "t1"


class TestViability:
    def test_a_real_keyring_is_viable(self) -> None:
        KeyringBackend().probe()

    def test_no_keyring_found_is_not_viable(self) -> None:
        keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
        with pytest.raises(StorageError, match="no usable keyring") as caught:
            KeyringBackend().probe()
        assert "fail.Keyring" in str(caught.value)

    def test_the_null_keyring_is_not_viable_and_never_reads_as_absent(self) -> None:
        keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]
        backend = KeyringBackend()
        with pytest.raises(StorageError, match="no usable keyring"):
            backend.probe()
        with pytest.raises(StorageError, match="no usable keyring"):
            backend.get(KEY)
        with pytest.raises(StorageError, match="no usable keyring"):
            backend.put(KEY, TokenRecord("t"))

    def test_a_chainer_with_nothing_to_chain_is_not_viable(self) -> None:
        class EmptyChainer(chainer.ChainerBackend):
            backends: ClassVar[list[keyring.backend.KeyringBackend]] = []

        keyring.set_keyring(EmptyChainer())  # type: ignore[no-untyped-call]
        with pytest.raises(StorageError, match="chains no backends"):
            KeyringBackend().probe()

    def test_a_keyring_that_never_starts_fails_the_probe_in_time(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(keyring.core, "_keyring_backend", None)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "test_keyring_support.FolderKeyring")
        monkeypatch.setenv(support.HANG_START_VARIABLE, "1")
        started = time.monotonic()
        with pytest.raises(StorageError, match=r"did not answer within 0\.3s"):
            KeyringBackend(timeout=0.3).probe()
        assert time.monotonic() - started < 2

    def test_registering_and_describing_touch_no_keyring(self) -> None:
        keyring.set_keyring(support.RecordingKeyring())
        registry = _plugins.build_registry()
        backend = registry.backends["keyring"]
        assert isinstance(backend, KeyringBackend)
        assert registry.owners["keyring"] == "keyring"
        repr(backend)
        backend.describe()
        assert support.RecordingKeyring.calls == []


class TestFailures:
    def test_a_keyring_error_is_unavailable(self) -> None:
        keyring.set_keyring(support.LockedKeyring())
        with pytest.raises(StorageError, match="KeyringLocked: the collection is locked") as caught:
            KeyringBackend().get(KEY)
        assert caught.value.backend == "keyring"

    def test_a_hanging_keyring_times_out(self) -> None:
        keyring.set_keyring(support.HangingKeyring())
        started = time.monotonic()
        with pytest.raises(StorageError, match=r"did not answer within 0\.3s \(is it locked\?\)"):
            KeyringBackend(timeout=0.3).get(KEY)
        assert time.monotonic() - started < 1.5

    def test_the_timeout_comes_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert KeyringBackend().timeout == 5
        monkeypatch.setenv("LIVELIKE_KEYRING_TIMEOUT", "0.25")
        assert KeyringBackend().timeout == 0.25
        assert KeyringBackend(timeout=2).timeout == 2
        monkeypatch.setenv("LIVELIKE_KEYRING_TIMEOUT", "soon")
        with pytest.raises(StorageError, match="LIVELIKE_KEYRING_TIMEOUT"):
            KeyringBackend().get(KEY)

    @pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
    def test_bad_arguments_are_refused(self, timeout: float) -> None:
        with pytest.raises(InvalidArgumentError):
            KeyringBackend(timeout=timeout)
        with pytest.raises(InvalidArgumentError):
            KeyringBackend(lock_timeout=timeout)

    def test_an_empty_service_is_refused(self) -> None:
        with pytest.raises(InvalidArgumentError):
            KeyringBackend(service=" ")

    def test_stuck_calls_do_not_pile_up(self) -> None:
        keyring.set_keyring(support.HangingKeyring())
        backend = KeyringBackend(timeout=0.02)
        for _ in range(_calls.MAX_ABANDONED):
            with pytest.raises(StorageError, match="did not answer"):
                backend.get(KEY)
        started = time.monotonic()
        with pytest.raises(StorageError, match="earlier keyring calls have not returned"):
            backend.get(KEY)
        assert time.monotonic() - started < 0.02


class TestNoTokenShown:
    def test_repr_and_describe(self) -> None:
        backend = KeyringBackend()
        backend.put(KEY, TokenRecord("secret-token-repr"))
        assert "secret-token-repr" not in repr(backend)
        assert "secret-token-repr" not in backend.describe()
        assert "livelike" in backend.describe()

    def test_a_keyring_error_that_repeats_the_token(self) -> None:
        keyring.set_keyring(support.EchoingKeyring())
        record = TokenRecord("secret-old").replaced_by("secret-new", None, "replaced")
        with pytest.raises(StorageError) as caught:
            KeyringBackend().put(KEY, record)
        message = str(caught.value)
        assert "PasswordSetError" in message
        assert "secret-old" not in message
        assert "secret-new" not in message
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__

    def test_a_corrupt_entry_with_a_token_in_it(self) -> None:
        text = json.dumps(
            {
                "format": 1,
                "key": KEY.as_dict(),
                "record": {"access_token": "secret-corrupt", "saved_at": "secret-corrupt"},
            }
        )
        write_entry(KEY, text)
        with pytest.raises(StorageError, match="corrupt entry") as caught:
            KeyringBackend().get(KEY)
        assert "secret-corrupt" not in str(caught.value)
        assert caught.value.__cause__ is None

    def test_log_lines(self, caplog: pytest.LogCaptureFixture) -> None:
        backend = KeyringBackend()
        support.FolderKeyring().set_password("livelike", "__index__", "garbage")
        with caplog.at_level(logging.DEBUG):
            backend.put(KEY, TokenRecord("secret-logged"))
            backend.delete(KEY)
        assert "secret-logged" not in caplog.text

"""Tokens and client ids with control characters, and plugins that echo tokens.

A malformed token given to ``init`` is an InvalidArgumentError before any
request; a malformed saved one is a StorageError naming the backend. No
token appears anywhere in the formatted exception, causes included.
"""

from __future__ import annotations

import json
import traceback

import pytest

from livelike import errors
from livelike.backends.file import FileBackend
from livelike.backends.memory import MemoryBackend
from livelike.emulator import Emulator
from livelike.storage import StorageKey, TokenRecord
from tests.conftest import MakeClient, created, emulator_key, requests_seen


def formatted(error: BaseException) -> str:
    """Everything a traceback shows of ``error``: message, causes and contexts."""
    return "".join(traceback.format_exception(error))


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\x00", " "])
def test_a_given_token_with_a_control_character_fails_before_any_request(
    make_client: MakeClient, emulator: Emulator, suffix: str
) -> None:
    token = make_client().init().access_token
    emulator.reset()
    with pytest.raises(errors.InvalidArgumentError, match="access_token is malformed") as caught:
        make_client().init(access_token=f"{token}{suffix}")
    assert requests_seen(emulator) == {}
    assert str(token) not in formatted(caught.value)


def test_a_client_id_with_a_trailing_newline_is_refused(
    make_client: MakeClient, emulator: Emulator
) -> None:
    with pytest.raises(errors.InvalidArgumentError, match=r"client_id .* is malformed"):
        make_client("test-client\n")
    assert requests_seen(emulator) == {}


def test_an_env_token_with_an_inner_newline_is_a_storage_error(
    make_client: MakeClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVELIKE_ACCESS_TOKEN", "abcdefgh\nijklmnop")
    with pytest.raises(errors.StorageError, match="'env' holds a malformed access token") as err:
        make_client(storage="env,file").init()
    assert err.value.backend == "env"
    assert "abcdefgh" not in formatted(err.value)
    assert "ijklmnop" not in formatted(err.value)
    assert requests_seen(emulator) == {}
    assert created(emulator) == 0


@pytest.mark.parametrize(
    "chosen",
    [{"storage": "file"}, {}],
    ids=["file chosen", "default chain (the where-note's fast path)"],
)
def test_a_token_file_holding_crlf_is_a_storage_error(
    make_client: MakeClient, emulator: Emulator, chosen: dict[str, str]
) -> None:
    client = make_client(**chosen)
    token = str(client.init().access_token)
    path = FileBackend().path_for(emulator_key(emulator))
    data = json.loads(path.read_text())
    data["record"]["access_token"] = token + "\r\n"
    path.write_text(json.dumps(data))
    emulator.reset()
    with pytest.raises(errors.StorageError, match="'file' holds a malformed access token") as err:
        make_client(**chosen).init()
    assert err.value.backend == "file"
    assert token not in formatted(err.value)
    assert requests_seen(emulator) == {}
    assert json.loads(path.read_text())["record"]["access_token"] == token + "\r\n"  # kept


class EchoingBackend(MemoryBackend):
    """A careless plugin whose save error quotes the record it was given."""

    name = "echoing"

    def __init__(self, raise_storage_error: bool) -> None:
        super().__init__()
        self.raise_storage_error = raise_storage_error

    def put(self, key: StorageKey, record: TokenRecord) -> None:
        if record.intent is not None:  # the intent is kept; saving the token then fails
            super().put(key, record)
            return
        message = f"cannot store {record.as_dict()}"
        if self.raise_storage_error:
            raise errors.StorageError(message, backend=self.name)
        raise RuntimeError(message)


@pytest.mark.parametrize("raise_storage_error", [False, True])
def test_a_plugin_echoing_the_token_is_scrubbed_from_errors_and_logs(
    make_client: MakeClient,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    raise_storage_error: bool,
) -> None:
    backend = EchoingBackend(raise_storage_error)
    with pytest.raises(errors.ProfileNotSavedError, match=r"cannot store .*\[token\]") as caught:
        make_client(storage=[backend]).init(ephemeral=True)
    token = str(caught.value.profile.access_token)
    assert created(emulator) == 1
    assert token not in formatted(caught.value)
    assert token not in caplog.text
    assert "could not save its token" in caplog.text

"""Odd values: each is a clear error before any request, or is tolerated.

Lone surrogates, infinite timeouts, blank nicknames, broken snapshots,
naive times, wrong-typed token files and odd audit lines.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from livelike import cli, errors
from livelike._audit import entries
from livelike._profile import Profile
from livelike.backends.file import FileBackend
from livelike.emulator import Emulator
from livelike.storage import TokenRecord
from tests.conftest import CLIENT_ID, MakeClient, created, emulator_key, requests_seen


def test_a_subject_with_a_lone_surrogate_is_refused_before_any_request(
    make_client: MakeClient, emulator: Emulator
) -> None:
    with pytest.raises(errors.InvalidArgumentError, match=r"subject .*lone surrogate"):
        make_client().init(subject="user-\udc80")
    assert requests_seen(emulator) == {}


@pytest.mark.parametrize("timeout", [math.inf, math.nan, (1.0, math.inf), (math.nan, 2.0)])
def test_an_infinite_or_nan_timeout_is_refused(
    make_client: MakeClient, emulator: Emulator, timeout: Any
) -> None:
    with pytest.raises(errors.InvalidArgumentError, match=r"finite, not inf or nan"):
        make_client(timeout=timeout)
    assert requests_seen(emulator) == {}


@pytest.mark.parametrize("nickname", [" ", "   ", "\t", "\u3000"])
def test_a_whitespace_only_nickname_is_refused_before_any_request(
    make_client: MakeClient, emulator: Emulator, nickname: str
) -> None:
    client = make_client()
    client.init()
    emulator.reset()
    with pytest.raises(errors.InvalidArgumentError, match="nickname must not be only whitespace"):
        client.update_user_profile(nickname=nickname)
    with pytest.raises(errors.InvalidArgumentError, match="nickname must not be only whitespace"):
        client.create_user_profile(nickname=nickname)
    assert requests_seen(emulator) == {}


def test_a_snapshot_without_an_id_is_ignored_and_the_service_asked(
    make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client(storage="file")
    first = client.init()
    key = emulator_key(emulator)
    record = FileBackend().get(key)
    assert record is not None
    FileBackend().put(key, record.with_snapshot({"nickname": "no id"}, record.saved_at))
    profile = make_client(storage="file").init(validate=False)
    assert profile.id == first.id
    assert profile.source == "saved"
    assert created(emulator) == 1


def test_a_naive_saved_time_is_read_as_utc(
    make_client: MakeClient, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    make_client(storage="file").init()
    path = FileBackend().path_for(emulator_key(emulator))
    data = json.loads(path.read_text())
    data["record"]["saved_at"] = "2020-01-01T00:00:00"
    data["record"]["fetched_at"] = "2020-01-01T00:00:00"
    path.write_text(json.dumps(data))
    assert cli.main(["token", "list", "--storage", "file"]) == 0
    out = capsys.readouterr().out
    assert f"client {CLIENT_ID} subject 'default'" in out
    assert "age " in out
    cached = make_client(storage="file").init(validate=False)
    assert cached.source == "cached"
    assert cached.fetched_at == datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "record",
    [[], {"access_token": "tok-abcdefgh", "history": [5]}, {"access_token": ["x"]}, "text"],
)
def test_a_wrong_typed_token_file_is_a_storage_error_with_its_path(
    make_client: MakeClient, emulator: Emulator, record: Any
) -> None:
    key = emulator_key(emulator)
    path = FileBackend().path_for(key)
    path.parent.mkdir(mode=0o700, parents=True)
    path.write_text(json.dumps({"format": 1, "key": key.as_dict(), "record": record}))
    with pytest.raises(errors.StorageError, match="corrupt token file") as caught:
        make_client(storage="file").init()
    assert str(path) in str(caught.value)
    assert caught.value.backend == "file"
    assert created(emulator) == 0


def test_a_token_file_that_is_not_utf8_is_a_storage_error_with_its_path(
    make_client: MakeClient, emulator: Emulator
) -> None:
    path = FileBackend().path_for(emulator_key(emulator))
    path.parent.mkdir(mode=0o700, parents=True)
    path.write_bytes(b'{"format": 1, "\xff\xfe": 1}')
    with pytest.raises(errors.StorageError, match="could not read the saved token") as caught:
        make_client(storage="file").init()
    assert str(path) in str(caught.value)
    assert created(emulator) == 0


def _line(subject: str) -> bytes:
    entry = {"time": "2026-01-01T00:00:00+00:00", "profile_id": f"p-{len(subject)}"}
    entry |= {"api_origin": "http://x", "client_id": CLIENT_ID, "subject": subject}
    return (json.dumps({**entry, "reason": "no saved token"}, ensure_ascii=False) + "\n").encode()


def test_audit_lines_with_odd_separators_or_bad_bytes_are_all_listed(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    bad_bytes = _line("bytes-XX").replace(b"XX", b"\xff\xfe")
    (home / "audit.jsonl").write_bytes(
        _line("a\u2028b") + _line("c\u0085d") + _line("e\u2029f\x1cg") + bad_bytes
    )
    subjects = [e["subject"] for e in entries(home / "audit.jsonl")]
    assert subjects == ["a\u2028b", "c\u0085d", "e\u2029f\x1cg", "bytes-\ufffd\ufffd"]
    assert cli.main(["token", "history"]) == 0
    assert capsys.readouterr().out.count("no saved token") == 4


def test_a_creation_with_an_odd_subject_is_audited_on_one_line(
    make_client: MakeClient, home: Path
) -> None:
    make_client().init(subject="line\u2028separator")
    raw = (home / "audit.jsonl").read_bytes()
    assert raw.count(b"\n") == 1
    assert [e["subject"] for e in entries()] == ["line\u2028separator"]


def test_a_naive_snapshot_time_is_read_as_utc() -> None:
    record = TokenRecord("tok-abcdefgh", "p1").with_snapshot(
        {"id": "p1", "nickname": "n"}, datetime(2020, 1, 1)
    )
    profile = Profile.from_snapshot(record)
    assert profile is not None
    assert profile.fetched_at == datetime(2020, 1, 1, tzinfo=timezone.utc)

"""Access tokens never show in a repr, a str, an exception message, a log line or a URL."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import livelike
from livelike import errors
from livelike.emulator import Emulator
from livelike.storage import RetiredToken, TokenRecord, utcnow
from tests.conftest import CLIENT_ID, MakeClient


def test_profile_repr_and_str_hide_the_token(emulator: Emulator) -> None:
    profile = livelike.init(CLIENT_ID)
    token = profile.access_token
    assert token
    assert token not in repr(profile)
    assert token not in str(profile)
    assert "access_token" not in profile.data
    assert profile.id in repr(profile)


def test_records_hide_the_token() -> None:
    record = TokenRecord("secret-token-value", "pid").replaced_by(
        "newer-secret-value", "pid2", "replaced"
    )
    assert "secret-token-value" not in repr(record)
    assert "newer-secret-value" not in repr(record)
    retired = RetiredToken("secret-token-value", None, utcnow(), utcnow(), "x")
    assert "secret-token-value" not in repr(retired)


def test_debug_logs_and_errors_never_hold_the_token(
    make_client: MakeClient, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client()
    profile = client.init()
    token = str(profile.access_token)
    client.update_user_profile(nickname="Logged")
    client.init()
    messages: list[str] = []
    for fault in ({"status": 503, "times": 10}, {"status": 401}, {"drop": True, "times": 10}):
        emulator.clear_faults()
        emulator.inject("get_profile", **fault)  # type: ignore[arg-type]
        with pytest.raises(errors.LiveLikeError) as caught:
            client.get_user_profile()
        messages += [str(caught.value), repr(caught.value), repr(caught.value.__dict__)]
    emulator.clear_faults()
    with pytest.raises(errors.InvalidAccessTokenError) as rejected:
        client.init(access_token=token + "x")
    messages.append(str(rejected.value))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /api/v1/applications/test-client/profile/" in logged  # DEBUG lines were captured
    assert token not in logged
    for message in messages:
        assert token not in message
        assert token[:20] not in message
    assert token not in repr(client)


def test_tokens_travel_only_in_the_header(make_client: MakeClient, emulator: Emulator) -> None:
    from livelike._transport import Transport

    client = make_client()
    profile = client.init()
    urls: list[str] = []
    transport = client._http()
    original = transport.session.request

    def spy(method: str, url: str, **kwargs: object) -> object:
        urls.append(url)
        return original(method, url, **kwargs)  # type: ignore[arg-type]

    transport.session.request = spy  # type: ignore[method-assign,assignment]
    client.get_user_profile()
    client.update_user_profile(nickname="Header")
    assert isinstance(transport, Transport)
    assert urls
    assert all(str(profile.access_token) not in url for url in urls)


def test_token_file_is_0600_in_a_0700_folder(emulator: Emulator, home: Path) -> None:
    home.mkdir(mode=0o755)
    livelike.init(CLIENT_ID)
    files = list((home / "tokens").iterdir())
    assert [f.stat().st_mode & 0o777 for f in files] == [0o600]
    assert (home / "tokens").stat().st_mode & 0o777 == 0o700
    assert home.stat().st_mode & 0o777 == 0o755  # the user's own folder is not chmodded

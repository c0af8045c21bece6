"""Bad input fails with a clear error naming the argument, before any request."""

from __future__ import annotations

from typing import Any

import pytest

import livelike
from livelike import errors
from livelike.emulator import Emulator
from tests.conftest import CLIENT_ID, MakeClient, requests_seen


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"client_id": ""}, "client_id must not be empty"),
        ({"client_id": None}, "client_id must be a string, not NoneType"),
        ({"client_id": 42}, "client_id must be a string, not int"),
        ({"client_id": "has/slash"}, "client_id 'has/slash' is malformed"),
        ({"client_id": "has space"}, "is malformed"),
        ({"client_id": "x" * 129}, "is malformed"),
        ({"subject": ""}, "subject must be 1 to"),
        ({"subject": 7}, "subject must be a string, not int"),
        ({"subject": "a\nb"}, "control characters"),
        ({"access_token": ""}, "access_token must not be empty"),
        ({"access_token": 123}, "access_token must be a string, not int"),
        ({"access_token": "two words"}, "access_token is malformed"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"timeout": "5"}, "timeout must be a positive number"),
        ({"timeout": (1, 2, 3)}, "timeout must be a positive number"),
        (
            {"storage": "nosuchbackend"},
            "unknown storage backend 'nosuchbackend' (from storage); available: env, file",
        ),
        ({"storage": 3}, "storage must be a backend name"),
        ({"on_invalid_token": "ignore"}, "on_invalid_token must be"),
        ({"api_url": "ftp://example.com/api"}, "must be an http(s) URL"),
        ({"api_url": "not a url"}, "must be an http(s) URL"),
        ({"api_url": "https://user:pw@example.com/api"}, "must not carry credentials"),
        ({"api_url": "https://example.com/api?x=1"}, "must not have a query"),
    ],
)
def test_init_rejects_bad_arguments_before_any_request(
    emulator: Emulator, kwargs: dict[str, Any], message: str
) -> None:
    call: dict[str, Any] = {"client_id": CLIENT_ID, **kwargs}
    with pytest.raises(errors.InvalidArgumentError) as caught:
        livelike.init(**call)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert requests_seen(emulator) == {}


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/api/v1",
        "http://10.0.0.1/api/v1",
        "http://192.168.1.10:8000/api/v1",
        "http://localhost.example.com/api/v1",
    ],
)
def test_plain_http_refused_for_non_loopback_hosts(url: str, emulator: Emulator) -> None:
    with pytest.raises(errors.InvalidArgumentError, match="travel in clear"):
        livelike.LiveLike(CLIENT_ID, api_url=url)


def test_plain_http_refused_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVELIKE_API_URL", "http://example.com/api/v1")
    with pytest.raises(errors.InvalidArgumentError, match="LIVELIKE_API_URL"):
        livelike.LiveLike(CLIENT_ID)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/api/v1",
        "http://localhost:8000/api/v1",
        "http://[::1]:9/api/v1",
        "https://example.com/api/v1/",
    ],
)
def test_accepted_urls(url: str) -> None:
    client = livelike.LiveLike(CLIENT_ID, api_url=url)
    assert client.api_url == url.rstrip("/")


def test_default_api_url_is_production() -> None:
    assert livelike.LiveLike(CLIENT_ID).api_url == "https://cf-blast.livelikecdn.com/api/v1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nickname": ""}, "nickname must be 1 to 20 characters long, got 0"),
        ({"nickname": "x" * 21}, "nickname must be 1 to 20 characters long, got 21"),
        ({"nickname": 5}, "nickname must be a string, not int"),
        ({"custom_data": {"a": 1}}, "custom_data must be a string"),
    ],
)
def test_profile_calls_reject_bad_values_before_any_request(
    make_client: MakeClient, emulator: Emulator, kwargs: dict[str, Any], message: str
) -> None:
    client = make_client()
    client.init()
    emulator.reset()
    with pytest.raises(errors.InvalidArgumentError, match=message):
        client.update_user_profile(**kwargs)
    with pytest.raises(errors.InvalidArgumentError, match=message):
        client.create_user_profile(**kwargs)
    assert requests_seen(emulator) == {}


def test_twenty_character_nickname_is_accepted(make_client: MakeClient) -> None:
    client = make_client()
    client.init()
    assert client.update_user_profile(nickname="x" * 20).nickname == "x" * 20

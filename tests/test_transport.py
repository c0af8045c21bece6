"""HTTP behaviour: User-Agent, timeouts, which failures are retried and how."""

from __future__ import annotations

import socket

import pytest

from livelike import errors
from livelike._transport import USER_AGENT, RetryPolicy, Transport
from livelike._version import __version__
from livelike.emulator import Emulator
from tests.conftest import MakeClient, Recorder


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def transport(**retry: float) -> tuple[Transport, list[float]]:
    sleeps: list[float] = []
    policy = RetryPolicy(**{"max_retries": 3, "backoff": 0.0, **retry})  # type: ignore[arg-type]
    t = Transport(timeout=(1.0, 1.0), retry=policy)
    t._sleep = sleeps.append
    return t, sleeps


def test_user_agent_names_sdk_and_python(recorder: str) -> None:
    t, _ = transport()
    t.request("GET", recorder + "/x", token="abc")
    headers = Recorder.seen[0][1]
    assert headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith(f"livelike-python/{__version__} python/3.")
    assert headers["Authorization"] == "Bearer abc"


def test_post_is_retried_when_the_connection_is_refused() -> None:
    t, sleeps = transport()
    with pytest.raises(errors.NetworkError, match="refused") as caught:
        t.request("POST", f"http://127.0.0.1:{closed_port()}/p/", body={}, retry_sent=False)
    assert len(sleeps) == 3  # the request surely never reached a server: retrying is safe
    assert caught.value.method == "POST"
    assert caught.value.path == "/p/"


def test_get_retries_are_bounded() -> None:
    t, sleeps = transport()
    with pytest.raises(errors.NetworkError):
        t.request("GET", f"http://127.0.0.1:{closed_port()}/p/")
    assert len(sleeps) == 3


def test_retry_after_is_honoured(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client()
    profile = client.init()
    sleeps: list[float] = []
    client._http()._sleep = sleeps.append
    emulator.inject("get_profile", status=429, retry_after=2)
    assert client.get_user_profile().id == profile.id
    assert sleeps == [2.0]


def test_retry_after_beyond_the_limit_raises_at_once(
    make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client()
    client.init()
    sleeps: list[float] = []
    client._http()._sleep = sleeps.append
    emulator.inject("get_profile", status=429, retry_after=3600)
    with pytest.raises(errors.RateLimitedError) as caught:
        client.get_user_profile()
    assert caught.value.retry_after == 3600
    assert sleeps == []


def test_patch_is_retried_on_5xx(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client()
    client.init()
    emulator.inject("update_profile", status=502, times=2)
    assert client.update_user_profile(nickname="Retried").nickname == "Retried"
    assert emulator.stats()["requests"]["update_profile"] == 3


def test_read_timeout_is_a_network_error(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client(timeout=(1.0, 0.3), retry=RetryPolicy(max_retries=0))
    client.init()
    emulator.inject("get_profile", delay=1.0)
    with pytest.raises(errors.NetworkError, match="read timeout"):
        client.get_user_profile()


def test_jitter_stays_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=4.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        assert all(0 <= policy.jitter(attempt) <= ceiling for _ in range(50))

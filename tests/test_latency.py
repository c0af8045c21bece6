"""The emulator's latency setting: every API answer waits, control routes do not."""

from __future__ import annotations

import math

import pytest

import livelike
from livelike import errors
from livelike._transport import RetryPolicy
from livelike.emulator import Emulator, EmulatorClient
from livelike.emulator._cli import latency, main
from tests.conftest import CLIENT_ID

NO_RETRY = RetryPolicy(max_retries=0, backoff=0.0, max_retry_after=0.0)


def test_a_far_away_service_outlasts_a_short_timeout_but_control_routes_answer() -> None:
    with Emulator(client_ids=[CLIENT_ID], latency=2.0) as far:
        client = livelike.LiveLike(CLIENT_ID, api_url=far.url, timeout=0.5, retry=NO_RETRY)
        with client, pytest.raises(errors.NetworkError):
            client.init()
        stats = EmulatorClient(far.url, timeout=1.5).stats()  # no latency on control routes
    assert stats["requests"]["config"] == 1
    assert stats["profiles_created"] == {}


def test_no_latency_answers_within_the_same_timeout() -> None:
    with Emulator(client_ids=[CLIENT_ID]) as near:
        client = livelike.LiveLike(CLIENT_ID, api_url=near.url, timeout=0.5, retry=NO_RETRY)
        with client:
            assert client.init().source == "created"


@pytest.mark.parametrize(("text", "seconds"), [("30ms", 0.03), ("0.03", 0.03), ("1s", 1.0)])
def test_latency_is_read_as_seconds_or_with_a_unit(text: str, seconds: float) -> None:
    assert latency(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["abc", "-5ms", "nan", "inf", "2h"])
def test_a_bad_latency_is_refused_by_the_command(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--latency", text]) == 2
    assert "latency" in capsys.readouterr().err


@pytest.mark.parametrize("value", [-0.1, math.nan, True, "30ms"])
def test_a_bad_latency_is_refused_by_the_class(value: object) -> None:
    with pytest.raises(ValueError, match="latency"):
        Emulator(latency=value)  # type: ignore[arg-type]

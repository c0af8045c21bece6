"""Profile attributes round-trip, bad ones fail before any request; delete forgets the token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import livelike
from livelike import _audit, errors
from livelike.emulator import Emulator
from tests.conftest import MakeClient, created, requests_seen


def test_attributes_round_trip_on_create_update_and_read(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client()
    made = client.create_user_profile(attributes={"team": "red", "tier": ""}, save=True)
    assert dict(made.attributes) == {"team": "red", "tier": ""}
    updated = client.update_user_profile(attributes={"team": "blue", "city": "Zürich"})
    assert dict(updated.attributes) == {"team": "blue", "city": "Zürich"}
    fetched = make_client().get_profile(made.id)
    assert dict(fetched.attributes) == {"team": "blue", "city": "Zürich"}
    assert dict(client.get_user_profile().attributes) == {"team": "blue", "city": "Zürich"}
    with pytest.raises(TypeError):
        updated.attributes["team"] = "green"  # type: ignore[index]


def test_the_module_calls_take_attributes(emulator: Emulator) -> None:
    try:
        livelike.init("test-client", api_url=emulator.url)
        profile = livelike.update_user_profile(attributes={"level": "3"})
        assert profile.attributes["level"] == "3"
    finally:
        livelike._api.reset()


@pytest.mark.parametrize(
    ("attributes", "named"),
    [
        pytest.param(["team", "red"], "mapping", id="not a mapping"),
        pytest.param({"": "red"}, "keys", id="blank key"),
        pytest.param({1: "red"}, "keys", id="non-string key"),
        pytest.param({"team": 3}, "'team'", id="non-string value"),
        pytest.param({"team": "a\x00b"}, "control", id="control character"),
    ],
)
def test_bad_attributes_fail_before_any_request(
    emulator: Emulator, make_client: MakeClient, attributes: Any, named: str
) -> None:
    client = make_client()
    with pytest.raises(errors.InvalidArgumentError, match=named):
        client.create_user_profile(attributes=attributes)
    with pytest.raises(errors.InvalidArgumentError, match=named):
        client.update_user_profile(attributes=attributes, access_token="some-token")
    assert sum(requests_seen(emulator).values()) == 0


def test_delete_profile_deletes_at_the_service_and_moves_the_token_aside(
    emulator: Emulator, make_client: MakeClient, home: Path
) -> None:
    client = make_client()
    profile = client.init(subject="alice")
    other = client.init(subject="bob")
    assert client.delete_profile(profile.id) == ["alice"]
    with pytest.raises(errors.NotFoundError):
        client.get_profile(profile.id)
    assert client.saved_record("alice") is None
    assert client.saved_record("bob") is not None
    assert any((home / "forgotten").iterdir()), "the token was moved aside"
    events = [e.get("event") for e in _audit.entries(home / "audit.jsonl", every=True)]
    assert "profile deleted" in events
    assert client.get_profile(other.id).id == other.id
    assert created(emulator) == 2


def test_delete_of_an_unknown_profile_forgets_nothing(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client()
    client.init(subject="carol")
    with pytest.raises(errors.NotFoundError):
        client.delete_profile("00000000-0000-4000-8000-000000000000")
    assert client.saved_record("carol") is not None
    with pytest.raises(errors.InvalidArgumentError):
        client.delete_profile("a/b")

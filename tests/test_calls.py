"""update_user_profile, create_user_profile and get_user_profile, as functions and methods."""

from __future__ import annotations

from pathlib import Path

import pytest

import livelike
from livelike import errors
from livelike.emulator import Emulator
from tests.conftest import CLIENT_ID, MakeClient, created, requests_seen


@pytest.mark.parametrize(
    "call",
    [
        livelike.get_user_profile,
        lambda: livelike.update_user_profile(nickname="Ada"),
        livelike.create_user_profile,
    ],
)
def test_module_calls_before_init_raise(call: object, emulator: Emulator) -> None:
    with pytest.raises(errors.NotInitializedError, match=r"init\("):
        call()  # type: ignore[operator]
    assert requests_seen(emulator) == {}


def test_update_keeps_the_token_and_persists(emulator: Emulator) -> None:
    profile = livelike.init(CLIENT_ID)
    updated = livelike.update_user_profile(nickname="New Nickname", custom_data='{"team": 7}')
    assert updated.id == profile.id
    assert updated.nickname == "New Nickname"
    assert updated.custom_data == '{"team": 7}'
    assert updated.access_token == profile.access_token
    assert "access_token" not in updated.data
    fetched = livelike.get_user_profile()
    assert fetched.nickname == "New Nickname"
    assert fetched.access_token == profile.access_token
    # the next run sees the new nickname
    assert livelike.init(CLIENT_ID).nickname == "New Nickname"


def test_update_needs_something_to_change(emulator: Emulator) -> None:
    livelike.init(CLIENT_ID)
    emulator.reset()
    with pytest.raises(errors.InvalidArgumentError, match="nickname or custom_data"):
        livelike.update_user_profile()
    assert requests_seen(emulator) == {}


def test_create_returns_a_new_profile_and_leaves_the_saved_one(emulator: Emulator) -> None:
    first = livelike.init(CLIENT_ID)
    extra = livelike.create_user_profile(nickname="Second")
    assert extra.id != first.id
    assert extra.nickname == "Second"
    assert extra.access_token
    assert extra.access_token != first.access_token
    assert extra.source == "created"
    assert livelike.get_user_profile().id == first.id
    assert livelike.init(CLIENT_ID).id == first.id
    assert created(emulator) == 2


def test_create_with_save_replaces_and_keeps_history(emulator: Emulator, home: Path) -> None:
    first = livelike.init(CLIENT_ID)
    extra = livelike.create_user_profile(save=True)
    assert livelike.get_user_profile().id == extra.id
    assert livelike.init(CLIENT_ID).id == extra.id
    client = livelike.LiveLike(CLIENT_ID)
    record = client._storage().find(client._key("default"))
    assert record is not None
    assert [old.profile_id for old in record.record.history] == [first.id]


def test_create_fires_the_profile_created_hook(emulator: Emulator) -> None:
    from livelike import _plugins

    seen: list[tuple[str, str, str]] = []

    class Audit:
        @livelike.hookimpl
        def livelike_profile_created(
            self, profile_id: str, key: livelike.StorageKey, reason: str
        ) -> None:
            seen.append((profile_id, key.subject, reason))

    _plugins.registry().manager.register(Audit())
    first = livelike.init(CLIENT_ID)
    extra = livelike.create_user_profile()
    assert seen == [
        (first.id, "default", "no saved token"),
        (extra.id, "default", "explicit create"),
    ]


def test_client_methods_with_an_explicit_token(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client()
    other = client.create_user_profile(nickname="Other")
    assert client.profile is None
    fetched = client.get_user_profile(access_token=other.access_token)
    assert fetched.id == other.id
    updated = client.update_user_profile(nickname="Renamed", access_token=other.access_token)
    assert updated.nickname == "Renamed"
    assert client.profile is None  # acting on another token does not change the current profile


def test_client_before_init_raises(make_client: MakeClient) -> None:
    with pytest.raises(errors.NotInitializedError):
        make_client().get_user_profile()


def test_get_profile_by_id(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client()
    mine = client.init()
    public = client.get_profile(mine.id)
    assert public.id == mine.id
    assert public.access_token is None
    with pytest.raises(errors.NotFoundError):
        client.get_profile("00000000-0000-0000-0000-000000000000")


def test_service_field_errors_are_reported(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client()
    client.init()
    emulator.inject("update_profile", status=400, body={"nickname": ["This nickname is taken."]})
    with pytest.raises(errors.BadRequestError) as caught:
        client.update_user_profile(nickname="Taken")
    assert caught.value.field_errors == {"nickname": ["This nickname is taken."]}
    assert "nickname: This nickname is taken." in str(caught.value)
    assert "PATCH /api/v1/applications/test-client/profile/" in str(caught.value)


def test_client_is_a_context_manager(make_client: MakeClient) -> None:
    with make_client() as client:
        profile = client.init()
    # a closed client opens a new session when used again
    assert client.get_user_profile().id == profile.id


def test_an_answer_without_a_profile_is_an_error_not_a_crash(
    make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client()
    client.init()
    emulator.inject("get_profile", status=200, body=["not", "a", "profile"])
    with pytest.raises(errors.LiveLikeError, match="answered 200 without a profile"):
        client.get_user_profile()

"""Custom profile ids: the subject is the custom id, and no answer ever bills a second profile.

Every test counts the profiles the emulator created (where they are billed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import livelike
from livelike import _audit, errors
from livelike._transport import RetryPolicy
from livelike.emulator import Emulator
from tests.conftest import (
    CLIENT_ID,
    MakeClient,
    created,
    emulator_key,
    hosts,
    requests_seen,
    run_together,
)

NO_RETRY = RetryPolicy(max_retries=0)


def events(home: Path) -> list[str]:
    return [
        str(e.get("event", "created")) for e in _audit.entries(home / "audit.jsonl", every=True)
    ]


def test_init_creates_by_custom_id_then_reuses_the_saved_token(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(custom_ids=True)
    first = client.init(subject="user-42")
    assert first.source == "created"
    assert first.custom_id == "user-42"
    again = make_client(custom_ids=True).init(subject="user-42")
    assert again.id == first.id
    assert again.source == "saved"
    assert created(emulator) == 1
    assert requests_seen(emulator)["create_by_custom_id"] == 1
    looked_up = client.get_profile_by_custom_id("user-42")
    assert looked_up.id == first.id
    assert looked_up.access_token is None


def test_the_environment_turns_custom_ids_on(
    emulator: Emulator, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVELIKE_CUSTOM_IDS", "1")
    client = make_client()
    assert client.custom_ids
    assert client.init(subject="env-user").custom_id == "env-user"
    monkeypatch.setenv("LIVELIKE_CUSTOM_IDS", "yes")
    with pytest.raises(errors.InvalidArgumentError, match="LIVELIKE_CUSTOM_IDS"):
        make_client()


def test_the_default_subject_is_refused_unless_given(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(custom_ids=True)
    with pytest.raises(errors.InvalidArgumentError, match="needs subject="):
        client.init()
    with pytest.raises(errors.InvalidArgumentError, match="subject"):
        client.init(subject="has a space")
    assert sum(requests_seen(emulator).values()) == 0
    assert client.init(subject="default").custom_id == "default"
    with pytest.raises(errors.InvalidArgumentError, match="custom_id"):
        client.get_profile_by_custom_id("a/b")


def test_a_taken_custom_id_without_its_token_is_a_clear_error_and_no_second_profile(
    emulator: Emulator, make_client: MakeClient, home: Path, tmp_path: Path
) -> None:
    original = make_client(custom_ids=True).init(subject="user-7")
    os.environ["LIVELIKE_HOME"] = str(tmp_path / "another-host")
    try:
        with pytest.raises(errors.CustomIdTakenError) as caught:
            make_client(custom_ids=True).init(subject="user-7")
    finally:
        os.environ["LIVELIKE_HOME"] = str(home)
    error = caught.value
    assert isinstance(error, livelike.LiveLikeError)
    assert error.custom_id == "user-7"
    assert error.profile is not None
    assert error.profile.id == original.id
    assert error.profile.access_token is None
    assert "client_secret" in str(error)
    assert "access_token=" in str(error)
    assert original.access_token
    assert original.access_token not in repr(error.__cause__)
    assert created(emulator) == 1


def test_a_lost_create_answer_bills_once_and_the_next_init_settles_it(
    emulator: Emulator, make_client: MakeClient, home: Path
) -> None:
    emulator.inject("create_by_custom_id", drop=True, when="after")
    client = make_client(custom_ids=True, retry=NO_RETRY)
    with pytest.raises(errors.CreateInDoubtError, match="next init retries"):
        client.init(subject="lost")
    assert created(emulator) == 1
    record = client.saved_record("lost")
    assert record is not None
    assert record.intent is not None
    emulator.inject("create_by_custom_id", status=502, when="after")
    with pytest.raises(errors.CreateInDoubtError):
        client.init(subject="lost")
    with pytest.raises(errors.CustomIdTakenError) as caught:
        client.init(subject="lost")
    assert caught.value.profile is not None
    assert caught.value.profile.custom_id == "lost"
    assert client.saved_record("lost") is None  # the doubt is settled, nothing pending
    assert "in-doubt create confirmed" in events(home)
    with pytest.raises(errors.CustomIdTakenError):
        client.init(subject="lost")
    assert created(emulator) == 1


def test_with_retries_a_lost_create_answer_is_settled_in_the_same_init(
    emulator: Emulator, make_client: MakeClient
) -> None:
    emulator.inject("create_by_custom_id", drop=True, when="after")
    emulator.inject("create_by_custom_id", status=502, when="after")
    with pytest.raises(errors.CustomIdTakenError):
        make_client(custom_ids=True).init(subject="retried")
    assert created(emulator) == 1
    assert requests_seen(emulator)["create_by_custom_id"] == 3


def test_a_create_that_never_happened_is_retried_and_saved(
    emulator: Emulator, make_client: MakeClient
) -> None:
    emulator.inject("create_by_custom_id", drop=True)  # before the work
    emulator.inject("create_by_custom_id", status=503)
    client = make_client(custom_ids=True)
    profile = client.init(subject="flaky")
    assert profile.source == "created"
    assert make_client(custom_ids=True).init(subject="flaky").id == profile.id
    assert created(emulator) == 1


def test_an_in_doubt_create_that_never_happened_creates_on_the_next_init(
    emulator: Emulator, make_client: MakeClient, home: Path
) -> None:
    emulator.inject("create_by_custom_id", status=503)  # a 5xx proves nothing either way
    client = make_client(custom_ids=True, retry=NO_RETRY)
    with pytest.raises(errors.CreateInDoubtError):
        client.init(subject="slow")
    profile = make_client(custom_ids=True).init(subject="slow")
    assert profile.source == "created"
    assert created(emulator) == 1
    assert make_client(custom_ids=True).init(subject="slow").id == profile.id


_RACER = """
import json, sys
import livelike
client = livelike.LiveLike("test-client", custom_ids=True)
try:
    profile = client.init(subject="racer")
    print(json.dumps({"id": profile.id}))
except livelike.errors.CustomIdTakenError as exc:
    print(json.dumps({"taken": exc.profile.id if exc.profile else None}))
"""


def test_six_hosts_racing_for_one_custom_id_create_one_profile(
    emulator: Emulator, tmp_path: Path
) -> None:
    outputs = run_together(_RACER, hosts(emulator, tmp_path, 6), timeout=60)
    answers = [json.loads(out) for out, _ in outputs]
    ids = {a.get("id") or a.get("taken") for a in answers}
    assert len(ids) == 1
    assert None not in ids
    assert sum(1 for a in answers if "id" in a) == 1
    assert created(emulator) == 1


def test_profile_custom_id_is_none_without_one(emulator: Emulator, make_client: MakeClient) -> None:
    assert make_client().init().custom_id is None
    assert emulator_key(emulator).client_id == CLIENT_ID

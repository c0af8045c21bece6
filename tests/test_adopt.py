"""Sign-up adoption: one profile per person whichever came first, nothing billed."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import livelike
from livelike import _audit, errors
from livelike.emulator import Emulator
from tests.conftest import MakeClient, created, requests_seen


def events(home: Path) -> list[str]:
    return [
        str(e.get("event", "created")) for e in _audit.entries(home / "audit.jsonl", every=True)
    ]


def test_the_visitor_profile_becomes_the_users_when_the_visitor_came_first(
    emulator: Emulator, make_client: MakeClient, home: Path
) -> None:
    client = make_client()
    visitor = client.init(subject="session-1")
    client.update_user_profile(nickname="Visitor")
    result = client.adopt("session-1", "user-42")
    assert result.kept == "visitor"
    assert result.profile_id == visitor.id
    assert client.saved_record("session-1") is None  # the session key points nowhere
    user = make_client().init(subject="user-42")
    assert user.id == visitor.id
    assert user.nickname == "Visitor"
    assert created(emulator) == 1
    assert events(home).count("adopted") == 2
    assert any((home / "forgotten").iterdir())  # the session's file is kept aside


def test_the_users_profile_is_kept_when_the_user_came_first(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client()
    user = client.init(subject="user-7")
    visitor = client.init(subject="session-2")
    result = client.adopt("session-2", "user-7")
    assert result.kept == "user"
    assert result.profile_id == user.id
    assert result.other_profile_id == visitor.id
    record = client.saved_record("user-7")
    assert record is not None
    assert record.profile_id == user.id
    assert [r.profile_id for r in record.history] == [visitor.id]
    assert client.saved_record("session-2") is None
    assert make_client().init(subject="user-7").id == user.id
    assert created(emulator) == 2
    assert requests_seen(emulator).get("delete_profile", 0) == 0


def test_adopting_without_a_visitor_token_changes_nothing(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client()
    with pytest.raises(errors.NoSavedProfileError):
        client.adopt("session-x", "user-x")
    with pytest.raises(errors.InvalidArgumentError):
        client.adopt("same", "same")
    assert created(emulator) == 0


def test_with_custom_ids_adoption_moves_the_custom_id(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(custom_ids=True)
    visitor = client.init(subject="session-9")
    assert client.adopt("session-9", "user-9").kept == "visitor"
    assert client.get_profile_by_custom_id("user-9").id == visitor.id
    with pytest.raises(errors.NotFoundError):
        client.get_profile_by_custom_id("session-9")
    assert make_client(custom_ids=True).init(subject="user-9").id == visitor.id
    assert created(emulator) == 1


def test_crossed_adoptions_in_threads_do_not_deadlock(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client()
    client.init(subject="a")
    client.init(subject="b")
    outcomes: list[object] = []

    def move(source: str, target: str) -> None:
        try:
            outcomes.append(client.adopt(source, target).kept)
        except errors.NoSavedProfileError as exc:
            outcomes.append(type(exc))

    threads = [
        threading.Thread(target=move, args=("a", "b")),
        threading.Thread(target=move, args=("b", "a")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    # Serialised by the locks: the first keeps the user's profile, the second moves it back.
    assert sorted(map(str, outcomes)) == ["user", "visitor"]
    held = [s for s in ("a", "b") if client.saved_record(s) is not None]
    assert len(held) == 1
    assert created(emulator) == 2


def test_module_level_adopt(emulator: Emulator) -> None:
    try:
        visitor = livelike.init("test-client", api_url=emulator.url, subject="session-m")
        assert livelike.adopt("session-m", "user-m").profile_id == visitor.id
    finally:
        livelike._api.reset()


def test_the_cli_adopts(
    emulator: Emulator, make_client: MakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from livelike.cli import main

    visitor = make_client().init(subject="session-cli")
    args = ["token", "adopt", "session-cli", "user-cli", "--client-id", "test-client", "--json"]
    assert main(args) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["kept"] == "visitor"
    assert answer["profile_id"] == visitor.id
    assert make_client().init(subject="user-cli").id == visitor.id
    assert main(args) == 1  # nothing left to adopt
    assert "nothing to adopt" in capsys.readouterr().out
    assert created(emulator) == 1


def test_token_history_shows_adoptions_and_deletions(
    emulator: Emulator, make_client: MakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from livelike.cli import main

    client = make_client()
    client.init(subject="session-h")
    kept = client.adopt("session-h", "user-h")
    assert kept.profile_id is not None
    client.delete_profile(kept.profile_id)
    history = ["token", "history", "--client-id", "test-client"]
    assert main(history) == 0
    out = capsys.readouterr().out
    assert out.count(" adopted ") == 2  # one line for each key
    assert "profile deleted" in out
    assert main([*history, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [e.get("event", "created") for e in answer["created"]] == ["created"]
    assert [e["event"] for e in answer["events"][1:]] == ["adopted", "adopted", "profile deleted"]
    assert created(emulator) == 1

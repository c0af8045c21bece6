"""Library conventions: logging, cache folders, a caller's session, network error
kinds, and errors that survive pickling."""

from __future__ import annotations

import ast
import logging
import pickle
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from livelike import errors
from livelike._profile import Profile
from livelike._transport import USER_AGENT, RetryPolicy, Transport
from livelike.emulator import Emulator
from tests.conftest import ROOT, MakeClient, Recorder, created, run_python

SECRET = "tok-SECRET-never-shown"


@pytest.fixture
def garbage_server() -> Iterator[tuple[int, list[int]]]:
    """A port that answers every connection with a bare HTTP/1.0 400 and closes;
    yields the port and a one-item list counting connections."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    count = [0]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            count[0] += 1
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 400 Bad\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield int(listener.getsockname()[1]), count
    listener.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def transport(session: requests.Session | None = None) -> Transport:
    t = Transport(
        timeout=(2.0, 2.0), retry=RetryPolicy(max_retries=3, backoff=0.0), session=session
    )
    t._sleep = lambda _seconds: None
    return t


# Logging


def test_import_installs_a_null_handler_and_no_output_handler() -> None:
    code = (
        "import logging, livelike\n"
        "handlers = logging.getLogger('livelike').handlers\n"
        "print([type(h).__name__ for h in handlers])\n"
        "logging.getLogger('livelike.x').warning('not shown without logging set up')\n"
    )
    result = run_python(code, {"LIVELIKE_LOG": None})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['NullHandler']"
    assert result.stderr == ""


def test_livelike_log_debug_shows_the_requests_on_stderr(emulator: Emulator) -> None:
    code = "import livelike; livelike.init('test-client', storage='memory', ephemeral=True)"
    quiet = run_python(code, {"LIVELIKE_LOG": None, "LIVELIKE_API_URL": emulator.url})
    loud = run_python(code, {"LIVELIKE_LOG": "debug", "LIVELIKE_API_URL": emulator.url})
    assert quiet.returncode == loud.returncode == 0, loud.stderr
    assert "applications/test-client" not in quiet.stderr
    assert "livelike DEBUG POST /api/v1/applications/test-client/profile/ -> 201" in loud.stderr


def test_an_unknown_livelike_log_level_is_named_and_ignored() -> None:
    result = run_python("import livelike", {"LIVELIKE_LOG": "loud"})
    assert result.returncode == 0
    assert "LIVELIKE_LOG ignored: log level 'loud' is not one of debug, info" in result.stderr


def test_every_logger_is_named_under_livelike() -> None:
    sources = [*(ROOT / "livelike").rglob("*.py"), *(ROOT / "plugins").glob("*/livelike_*/*.py")]
    names = []
    for path in sources:
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "getLogger":
                assert node.args, path
                if not isinstance(node.args[0], ast.Constant):
                    # Only SQLAlchemy's own engine logger, which livelike-sql quiets.
                    segment = ast.get_source_segment(text, node.args[0]) or ""
                    assert segment.startswith('f"sqlalchemy.engine.'), (path, segment)
                    continue
                names.append(str(node.args[0].value))
    assert names
    assert all(name == "livelike" or name.startswith("livelike.") for name in names), names


# Folders


def test_caches_go_to_the_user_cache_folder_tokens_to_the_data_folder(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "LIVELIKE_HOME": None,
        "LIVELIKE_LOAD_PLUGINS": None,  # scan entry points, so their cache is written
        "LIVELIKE_API_URL": emulator.url,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    result = run_python("import livelike; livelike.init('test-client', storage='file')", env)
    assert result.returncode == 0, result.stderr
    cached = {p.name for p in (tmp_path / "cache" / "livelike").iterdir()}
    assert "entry-points.json" in cached
    assert any(name.endswith(".json") and name != "entry-points.json" for name in cached)
    assert list((tmp_path / "data" / "livelike" / "tokens").iterdir())
    assert not (tmp_path / "data" / "livelike" / "cache").exists()


def test_with_livelike_home_everything_stays_under_it(
    make_client: MakeClient, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    make_client(storage="file").init()
    assert list((home / "cache").iterdir())
    assert not (tmp_path / "xdg-cache").exists()


# A caller's session


def test_a_callers_session_keeps_its_user_agent_with_ours_appended(recorder: str) -> None:
    session = requests.Session()
    session.headers["User-Agent"] = "acme-app/2.1"
    transport(session).request("GET", recorder + "/x")
    assert Recorder.seen[0][1]["User-Agent"] == f"acme-app/2.1 {USER_AGENT}"


def test_a_callers_session_proxies_win_over_the_environment(
    recorder: str, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The environment names a dead proxy; the session names the recording one.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = requests.Session()
    session.proxies = {"http": recorder}
    remote = "http://api.livelike.test/api/v1/applications/x/"  # a loopback API skips proxies
    transport(session).request("GET", remote)
    assert Recorder.seen[0][0] == remote


def test_a_callers_ca_bundle_wins_over_requests_ca_bundle(
    garbage_server: tuple[int, list[int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, _ = garbage_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing-env-bundle.pem"))
    session = requests.Session()
    session.verify = False  # the caller's choice: no verification at all
    with pytest.raises(errors.NetworkError) as raised:
        transport(session).request("GET", f"https://127.0.0.1:{port}/x")
    # With the environment's (missing) bundle requests would fail on the path first.
    assert "missing-env-bundle" not in str(raised.value.__cause__)
    assert "TLS failed" in str(raised.value)


# Network errors


def test_a_tls_failure_has_its_own_message_and_is_not_retried(
    garbage_server: tuple[int, list[int]],
) -> None:
    port, connections = garbage_server
    with pytest.raises(errors.NetworkError) as raised:
        transport().request("GET", f"https://127.0.0.1:{port}/x")
    assert "TLS failed" in str(raised.value)
    assert raised.value.maybe_sent is False
    assert connections[0] == 1


def test_a_dead_proxy_has_its_own_message_and_is_not_retried(
    make_client: MakeClient, emulator: Emulator
) -> None:
    session = requests.Session()
    session.proxies = {"http": f"http://127.0.0.1:{closed_port()}"}
    sleeps: list[float] = []
    http = transport(session)
    http._sleep = sleeps.append
    with pytest.raises(errors.NetworkError) as raised:  # a loopback API would skip the proxy
        http.request("POST", "http://api.livelike.test/api/v1/profile/", retry_sent=False)
    assert "the proxy failed" in str(raised.value)
    assert raised.value.maybe_sent is False
    assert sleeps == []  # not retried
    assert created(emulator) == 0


def test_maybe_sent_says_whether_a_create_may_have_reached_the_service(
    make_client: MakeClient, emulator: Emulator
) -> None:
    emulator.inject("create_profile", drop=True)
    with pytest.raises(errors.CreateInDoubtError) as in_doubt:
        make_client(storage="memory").init(ephemeral=True)
    dropped = in_doubt.value.__cause__
    assert isinstance(dropped, errors.NetworkError)
    assert dropped.maybe_sent is True
    with pytest.raises(errors.NetworkError) as refused:
        transport().request("POST", f"http://127.0.0.1:{closed_port()}/x", retry_sent=False)
    assert refused.value.maybe_sent is False


# Pickling


def _profile() -> Profile:
    return Profile.from_json(
        {"id": "p-1", "nickname": "Ada", "access_token": SECRET, "custom_data": "x"},
        source="created",
        fetched_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
    )


def test_a_profile_survives_pickling_and_keeps_its_token_out_of_repr() -> None:
    profile = _profile()
    copy = pickle.loads(pickle.dumps(profile))
    assert copy == profile
    assert copy.access_token == SECRET
    assert dict(copy.data) == {"id": "p-1", "nickname": "Ada", "custom_data": "x"}
    assert (copy.source, copy.fetched_at) == ("created", profile.fetched_at)
    assert SECRET not in repr(copy)
    assert SECRET not in str(copy)
    with pytest.raises(TypeError):
        copy.data["id"] = "changed"  # type: ignore[index,unused-ignore]


API: dict[str, Any] = {
    "status": 503,
    "detail": "down",
    "method": "GET",
    "path": "/p",
    "request_id": "r-1",
}
ERRORS: list[tuple[errors.LiveLikeError, dict[str, Any]]] = [
    (errors.LiveLikeError("root"), {}),
    (errors.InvalidArgumentError("bad nickname"), {}),
    (errors.NotInitializedError("call init first"), {}),
    (errors.NoSavedProfileError("nothing saved"), {}),
    (errors.StorageError("locked", backend="keyring"), {"backend": "keyring"}),
    (
        errors.CreateInDoubtError("lost", started_at="2026-01-02T00:00:00", subject="u-1"),
        {"started_at": "2026-01-02T00:00:00", "subject": "u-1"},
    ),
    (
        errors.NetworkError("lost", method="POST", path="/p", maybe_sent=False),
        {"maybe_sent": False},
    ),
    (errors.APIError(**API), {"status": 503, "request_id": "r-1"}),
    (errors.ServiceError(**API), {"detail": "down"}),
    (errors.NotFoundError(**{**API, "status": 404}), {"status": 404}),
    (errors.UnknownClientIdError(**{**API, "status": 404}), {"path": "/p"}),
    (errors.InvalidAccessTokenError(**{**API, "status": 401}), {"status": 401}),
    (
        errors.BadRequestError(**{**API, "status": 400, "body": {"nickname": ["too long"]}}),
        {"field_errors": {"nickname": ["too long"]}},
    ),
    (errors.RateLimitedError(retry_after=2.5, **{**API, "status": 429}), {"retry_after": 2.5}),
    (errors.ClientTokenRejectedError(**{**API, "status": 403}), {"status": 403}),
    (errors.CustomIdTakenError("taken", custom_id="u-1", profile=None), {"custom_id": "u-1"}),
]


@pytest.mark.parametrize(("error", "attributes"), ERRORS, ids=[type(e).__name__ for e, _ in ERRORS])
def test_every_error_survives_pickling_with_its_attributes(
    error: errors.LiveLikeError, attributes: dict[str, Any]
) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)
    for name, value in attributes.items():
        assert getattr(copy, name) == value


def test_every_public_error_class_is_covered_by_the_pickling_test() -> None:
    covered = {type(error) for error, _ in ERRORS} | {errors.ProfileNotSavedError}
    assert {getattr(errors, name) for name in errors.__all__} == covered


def test_profile_not_saved_error_pickles_with_its_profile() -> None:
    error = errors.ProfileNotSavedError("could not save", profile=_profile(), backend="file")
    copy = pickle.loads(pickle.dumps(error))
    assert copy.profile == error.profile
    assert copy.profile.access_token == SECRET
    assert copy.backend == "file"
    assert SECRET not in str(copy)


def test_a_real_error_from_init_pickles(make_client: MakeClient, emulator: Emulator) -> None:
    emulator.inject("config", status=503, times=10)
    with pytest.raises(errors.ServiceError) as raised:
        make_client(storage="memory").init(ephemeral=True)
    copy = pickle.loads(pickle.dumps(raised.value))
    assert (copy.status, copy.path, str(copy)) == (503, raised.value.path, str(raised.value))


def test_logging_records_stay_under_the_livelike_logger(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="livelike"):
        make_client(storage="memory").init(ephemeral=True)
    assert caplog.records
    assert all(r.name == "livelike" or r.name.startswith("livelike.") for r in caplog.records)

"""The emulator as a web client sees it: client ids, tokens, Host, CORS, media types,
framing, field sets, the command line and the pytest fixture."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
import requests

import livelike
import livelike._validate
from livelike import errors
from livelike.emulator import DEFAULT_CLIENT_ID, Emulator, EmulatorClient
from livelike.emulator._cli import DEFAULT_PORT
from livelike.emulator._cli import main as cli_main
from tests.conftest import emulator_cli

CLIENT = "web-client"
JSON = {"Content-Type": "application/json"}
NOT_FOUND = {"detail": "Not found."}
ORIGIN = "https://fan-site.example"

# The fields LiveLike's web SDK (@livelike/javascript 1.3) reads from the config and profile.
WEB_SDK_CONFIG_FIELDS = [
    "chat_room_invitation_detail_url_template",
    "chat_rooms_invitations_url",
    "pinned_messages_url",
    "api_polling_interval",
    "pubnub_heartbeat_interval",
    "pubnub_presence_timeout",
    "sticker_packs_url",
    "reaction_packs_url",
    "reward_items_url",
    "badges_url",
    "leaderboards_url",
    "profile_url",
    "profile_detail_url_template",
    "program_detail_url_template",
    "chat_room_detail_url_template",
    "leaderboard_detail_url_template",
    "create_chat_room_url",
    "pubnub_subscribe_key",
    "pubnub_origin",
    "pubnub_publish_key",
]
WEB_SDK_PROFILE_FIELDS = [
    "access_token",
    "badge_progress_url",
    "block_profile_url",
    "blocked_profile_ids_url",
    "blocked_profiles_template_url",
    "chat_room_memberships_url",
    "id",
    "nickname",
    "reward_item_balances_url",
    "reward_item_transfer_url",
    "subscribe_channel",
    "url",
    "badges_url",
    "reward_item_credit_url",
    "reward_item_debit_url",
    "chat_room_invitations_url_template",
    "leaderboards_url",
    "leaderboard_views_url",
    "redemption_keys_url",
    "custom_id",
]


def config_url(emulator: Emulator, client_id: str = CLIENT) -> str:
    return f"{emulator.url}/applications/{client_id}/"


def profile_url(emulator: Emulator, client_id: str = CLIENT) -> str:
    return f"{emulator.url}/applications/{client_id}/profile/"


def create(emulator: Emulator, client_id: str = CLIENT, **headers: str) -> requests.Response:
    return requests.post(
        profile_url(emulator, client_id), json={}, headers=headers or None, timeout=5
    )


def raw_exchange(emulator: Emulator, request: bytes) -> bytes:
    """Send ``request`` as bytes on a new connection; return everything answered."""
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def urls_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [url for item in value.values() for url in urls_in(item)]
    return [value] if isinstance(value, str) and "://" in value else []


# --------------------------------------------------------------------------- 1. client ids


def test_only_registered_client_ids_are_served() -> None:
    with Emulator() as emulator:
        assert requests.get(config_url(emulator, DEFAULT_CLIENT_ID), timeout=5).status_code == 200
        assert create(emulator, DEFAULT_CLIENT_ID).status_code == 201
        for method, url in (
            ("GET", config_url(emulator, "demo-typo")),
            ("POST", profile_url(emulator, "demo-typo")),
            ("GET", profile_url(emulator, "demo-typo")),
        ):
            response = requests.request(method, url, json={}, timeout=5)
            assert response.status_code == 404, (method, url)
            assert response.json() == NOT_FOUND
        stats = emulator.stats()
        assert stats["profiles_created"] == {DEFAULT_CLIENT_ID: 1}
        assert stats["unknown_client_ids"] == ["demo-typo"]


def test_client_ids_added_by_argument_method_and_control_api() -> None:
    with Emulator(client_ids=["from-argument"]) as emulator:
        emulator.add_client("from-method")
        control = EmulatorClient(emulator.url)
        control.add_client("from-control")
        expected = ["demo", "from-argument", "from-control", "from-method"]
        assert control.client_ids == expected
        assert emulator.client_ids == expected
        for client_id in expected:
            assert create(emulator, client_id).status_code == 201, client_id
        with pytest.raises(ValueError, match="invalid client id"):
            control.add_client("not valid!")
        with pytest.raises(ValueError, match="invalid client id"):
            emulator.add_client("ok", "not/valid")
        assert "ok" not in emulator.client_ids
        emulator.reset(clients=True)
        assert emulator.client_ids == ["demo", "from-argument"]
        assert create(emulator, "from-method").status_code == 404


def test_any_client_id_serves_every_well_formed_id() -> None:
    with Emulator(any_client_id=True) as emulator:
        assert create(emulator, "whatever-id").status_code == 201
        assert requests.get(config_url(emulator, "bad.id"), timeout=5).status_code == 404
        assert emulator.stats()["unknown_client_ids"] == []


@pytest.mark.livelike_client_ids(CLIENT, "second-client")
def test_marker_registers_client_ids(livelike_emulator: Emulator) -> None:
    assert create(livelike_emulator).status_code == 201
    assert create(livelike_emulator, "second-client").status_code == 201
    assert create(livelike_emulator, "third-client").status_code == 404


def test_fixture_names_the_unknown_id_and_keeps_off_the_user_folders(tmp_path: Path) -> None:
    tests = tmp_path / "test_user_suite.py"
    tests.write_text(
        textwrap.dedent(
            """
            import os
            import livelike
            import pytest

            def test_typo(livelike_emulator):
                livelike.init("my-clinet-id")

            @pytest.mark.livelike_client_ids("my-client-id")
            def test_alone(livelike_emulator, tmp_path):
                profile = livelike.init("my-client-id")
                assert profile.source == "created"
                assert os.environ["LIVELIKE_HOME"].startswith(str(tmp_path))
                assert livelike_emulator.stats()["profiles_created_total"] == 1
            """
        )
    )
    user = {name: tmp_path / name for name in ("home", "data", "config", "cache", "state")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVELIKE_", "XDG_", "CI"))}
    env.update(
        HOME=str(user["home"]),
        XDG_DATA_HOME=str(user["data"]),
        XDG_CONFIG_HOME=str(user["config"]),
        XDG_CACHE_HOME=str(user["cache"]),
        XDG_STATE_HOME=str(user["state"]),
        LIVELIKE_LOAD_PLUGINS="",
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert "1 failed, 1 passed" in output, output
    assert "not registered with the emulator: 'my-clinet-id'" in output, output
    assert "livelike_client_ids('my-clinet-id')" in output
    written = [str(path) for folder in user.values() for path in folder.rglob("*")]
    assert written == []


# --------------------------------------------------------------------------- 2. tokens


def test_missing_token_is_401_and_incorrect_token_403(livelike_emulator: Emulator) -> None:
    livelike_emulator.add_client(CLIENT)
    url = profile_url(livelike_emulator)
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert missing.json() == {"detail": "Authentication credentials were not provided."}
    wrong = requests.get(url, headers={"Authorization": "Bearer not-a-token"}, timeout=5)
    assert wrong.status_code == 403
    assert wrong.json() == {"detail": "Invalid token."}
    token = create(livelike_emulator).json()["access_token"]
    livelike_emulator.reset(data=True)  # every token issued so far is revoked
    revoked = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert revoked.status_code == 403


def test_sdk_treats_403_as_an_invalid_token(
    livelike_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    livelike_emulator.add_client(CLIENT)
    monkeypatch.setenv("LIVELIKE_ACCESS_TOKEN", "a-token-the-service-never-issued")
    with pytest.raises(errors.InvalidAccessTokenError) as caught:
        livelike.init(CLIENT)
    assert caught.value.status == 403
    assert livelike_emulator.stats()["profiles_created_total"] == 0


# --------------------------------------------------------------------------- 3. Host and CORS


def test_urls_follow_the_host_header(livelike_emulator: Emulator) -> None:
    livelike_emulator.add_client(CLIENT)
    host = {"Host": "livelike-emulator:8765"}
    config = requests.get(config_url(livelike_emulator), headers=host, timeout=5).json()
    created = create(livelike_emulator, **host).json()
    assert urls_in(config)
    assert urls_in(created)
    for url in urls_in(config) + urls_in(created):
        assert url.startswith("http://livelike-emulator:8765/api/v1/"), url
    plain = requests.get(config_url(livelike_emulator), timeout=5).json()
    assert plain["profile_url"] == profile_url(livelike_emulator)
    bad = requests.get(config_url(livelike_emulator), headers={"Host": "a b/c"}, timeout=5)
    assert bad.status_code == 400


def test_without_a_host_header_urls_name_the_bound_address(livelike_emulator: Emulator) -> None:
    livelike_emulator.add_client(CLIENT)
    answer = raw_exchange(
        livelike_emulator, f"GET /api/v1/applications/{CLIENT}/ HTTP/1.0\r\n\r\n".encode()
    )
    assert answer.split(b"\r\n", 1)[0].endswith(b" 200 OK")
    assert f'"profile_url": "{profile_url(livelike_emulator)}"'.encode() in answer


def test_public_url_fixes_the_address() -> None:
    with Emulator(client_ids=[CLIENT], public_url="https://emulator.example:8443/") as emulator:
        headers = {"Host": "ignored:1"}
        config = requests.get(config_url(emulator), headers=headers, timeout=5).json()
        assert (
            config["profile_url"]
            == "https://emulator.example:8443/api/v1/applications/web-client/profile/"
        )
    with pytest.raises(ValueError, match="public URL"):
        Emulator(public_url="https://emulator.example/some/path")


def test_cors_preflight_and_answers_on_api_routes(livelike_emulator: Emulator) -> None:
    livelike_emulator.add_client(CLIENT)
    preflight = requests.options(
        profile_url(livelike_emulator),
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=5,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    created = create(livelike_emulator, Origin=ORIGIN)
    assert created.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Request-Id" in created.headers["Access-Control-Expose-Headers"]
    missing = requests.get(
        config_url(livelike_emulator, "typo"), headers={"Origin": ORIGIN}, timeout=5
    )
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == "*"
    assert livelike_emulator.stats()["requests"]["other"] == 0  # preflights are not API calls


def test_control_routes_have_no_cors_and_need_json(livelike_emulator: Emulator) -> None:
    livelike_emulator.add_client(CLIENT)
    profile = create(livelike_emulator).json()
    root = livelike_emulator.root_url
    preflight = requests.options(
        f"{root}/_emulator/reset",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert preflight.status_code == 405
    assert "Access-Control-Allow-Origin" not in preflight.headers
    stats = requests.get(f"{root}/_emulator/stats", headers={"Origin": ORIGIN}, timeout=5)
    assert "Access-Control-Allow-Origin" not in stats.headers
    # What a web page can send without a preflight: a text/plain POST.
    for body in (b'{"data": true}', b""):
        wiped = requests.post(
            f"{root}/_emulator/reset", data=body, headers={"Content-Type": "text/plain"}, timeout=5
        )
        assert wiped.status_code == 415
    assert requests.get(profile["url"], timeout=5).status_code == 200


def test_control_token() -> None:
    with Emulator(control_token="s3cret") as emulator:
        stats = f"{emulator.root_url}/_emulator/stats"
        assert requests.get(stats, timeout=5).status_code == 401
        wrong = requests.get(stats, headers={"Authorization": "Bearer nope"}, timeout=5)
        assert wrong.status_code == 403
        assert "s3cret" not in wrong.text
        with pytest.raises(RuntimeError, match="401"):
            EmulatorClient(emulator.url).stats()
        client = EmulatorClient(emulator.url, control_token="s3cret")
        client.reset(data=True)
        assert client.stats()["requests_total"] == 0


def test_text_plain_create_is_refused(livelike_emulator: Emulator) -> None:
    livelike_emulator.add_client(CLIENT)
    response = requests.post(
        profile_url(livelike_emulator),
        data=b'{"nickname": "Sneaky"}',
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )
    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "text/plain" in request.'}
    assert livelike_emulator.stats()["profiles_created_total"] == 0


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 2\r\nContent-Length: 2\r\n",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
    ],
)
def test_ambiguous_framing_is_refused(livelike_emulator: Emulator, framing: bytes) -> None:
    livelike_emulator.add_client(CLIENT)
    request = (
        f"POST /api/v1/applications/{CLIENT}/profile/ HTTP/1.1\r\nHost: x\r\n".encode()
        + b"Content-Type: application/json\r\n"
        + framing
        + b"\r\n{}"
    )
    answer = raw_exchange(livelike_emulator, request)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"Connection: close" in answer
    assert livelike_emulator.stats()["profiles_created_total"] == 0


# --------------------------------------------------------------------------- 4. field sets


def test_config_and_profile_carry_the_fields_the_web_sdk_reads(livelike_emulator: Emulator) -> None:
    livelike_emulator.add_client(CLIENT)
    config = requests.get(config_url(livelike_emulator), timeout=5).json()
    assert set(WEB_SDK_CONFIG_FIELDS) <= set(config)
    assert not {"stickerpacks_url", "rewards_url"} & set(config)
    assert isinstance(config["api_polling_interval"], int)
    profile = create(livelike_emulator).json()
    assert set(WEB_SDK_PROFILE_FIELDS) <= set(profile)
    assert "rewards_url" not in profile
    for url in urls_in(config) + urls_in(profile):
        assert url.startswith(livelike_emulator.url + "/"), url


# --------------------------------------------------------------------------- 5. command line


@pytest.mark.parametrize("argv", [["--port", "99999"], ["--port", "-1"], ["--port", "x"]])
def test_bad_port_is_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert cli_main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("livelike emulator: argument --port:")


def test_bad_db_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "x.sqlite"
    assert cli_main(["--port", "0", "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"livelike emulator: cannot open the database --db {path}")


def test_default_port_is_fixed(capsys: pytest.CaptureFixture[str]) -> None:
    assert DEFAULT_PORT == 8765
    assert cli_main(["--help"]) == 0
    assert "default 8765; 0 picks a free port" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(ValueError, match="invalid port"):
        Emulator(port=99999)


def test_cli_refuses_typos_answers_403_honours_host_and_cors(tmp_path: Path) -> None:
    with emulator_cli() as (_, url, _):
        assert requests.get(f"{url}/applications/demo-typo/", timeout=5).status_code == 404
        wrong = {"Authorization": "Bearer incorrect"}
        response = requests.get(f"{url}/applications/demo/profile/", headers=wrong, timeout=5)
        assert response.status_code == 403
        config = requests.get(f"{url}/applications/demo/", headers={"Host": "ci-svc:80"}, timeout=5)
        assert config.json()["profile_url"] == "http://ci-svc:80/api/v1/applications/demo/profile/"
        preflight = requests.options(
            f"{url}/applications/demo/profile/",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
            timeout=5,
        )
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"


# --------------------------------------------------------------------------- 6. insecure http


def test_plain_http_to_a_named_host_needs_the_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    named = "http://livelike-emulator:8765/api/v1"
    with pytest.raises(errors.InvalidArgumentError, match="LIVELIKE_ALLOW_INSECURE_HTTP=1"):
        livelike.LiveLike(DEFAULT_CLIENT_ID, api_url=named)
    monkeypatch.setenv("LIVELIKE_ALLOW_INSECURE_HTTP", "1")
    monkeypatch.setattr(livelike._validate, "_insecure_http_warned", False)
    with pytest.warns(RuntimeWarning, match="test environments only") as caught:
        client = livelike.LiveLike(DEFAULT_CLIENT_ID, api_url=named)
    client.close()
    assert len(caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        livelike.LiveLike(DEFAULT_CLIENT_ID, api_url=named).close()  # once per process
    monkeypatch.setenv("LIVELIKE_ALLOW_INSECURE_HTTP", "yes")
    with pytest.raises(errors.InvalidArgumentError):
        livelike.LiveLike(DEFAULT_CLIENT_ID, api_url=named)

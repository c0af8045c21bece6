"""Tests of the LiveLike emulator over real HTTP."""

from __future__ import annotations

import base64
import json
import re
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from livelike.emulator import ROUTE_NAMES, Emulator, EmulatorClient, serve
from livelike.emulator._cli import main as cli_main
from tests.conftest import emulator_cli

CLIENT = "test-client"
OTHER_CLIENT = "other_client"
pytestmark = pytest.mark.livelike_client_ids(CLIENT, OTHER_CLIENT)
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def profile_url(emulator: Emulator, client_id: str = CLIENT) -> str:
    return f"{emulator.url}/applications/{client_id}/profile/"


def create(emulator: Emulator, client_id: str = CLIENT, **fields: Any) -> dict[str, Any]:
    response = requests.post(profile_url(emulator, client_id), json=fields, timeout=5)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


JSON = {"Content-Type": "application/json"}


def jwt_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize("suffix", ["", "/"])
def test_config_points_every_url_at_the_emulator(livelike_emulator: Emulator, suffix: str) -> None:
    response = requests.get(f"{livelike_emulator.url}/applications/{CLIENT}{suffix}", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    config = response.json()
    assert config["client_id"] == CLIENT
    assert config["name"]
    assert config["organization_name"]
    assert uuid.UUID(config["organization_id"])
    assert config["profile_url"] == f"{livelike_emulator.url}/applications/{CLIENT}/profile/"
    assert (
        config["profile_detail_url_template"] == f"{livelike_emulator.url}/profiles/{{profile_id}}/"
    )
    url_fields = [key for key in config if key.endswith("_url") or key.endswith("_url_template")]
    for key in ("sessions_url", "programs_url", "chat_rooms_url", "leaderboards_url"):
        assert key in url_fields
    assert len(url_fields) >= 8
    for key in [*url_fields, "url"]:
        assert config[key].startswith(livelike_emulator.url + "/"), key


def test_config_is_stable_per_client_id(livelike_emulator: Emulator) -> None:
    first = requests.get(f"{livelike_emulator.url}/applications/{CLIENT}", timeout=5).json()
    again = requests.get(f"{livelike_emulator.url}/applications/{CLIENT}/", timeout=5).json()
    other = requests.get(f"{livelike_emulator.url}/applications/{OTHER_CLIENT}", timeout=5).json()
    assert first == again
    assert first["organization_id"] != other["organization_id"]


def test_restricted_client_ids() -> None:
    with Emulator(client_ids=["good"]) as emulator:
        assert requests.get(f"{emulator.url}/applications/good", timeout=5).status_code == 200
        for method, path in [
            ("GET", "/applications/bad"),
            ("POST", "/applications/bad/profile/"),
            ("GET", "/applications/bad/profile/"),
        ]:
            response = requests.request(method, emulator.url + path, timeout=5)
            assert response.status_code == 404
            assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("client_id", ["bad.id", "bad%20id", "x" * 129])
def test_malformed_client_id_is_not_found(livelike_emulator: Emulator, client_id: str) -> None:
    response = requests.get(f"{livelike_emulator.url}/applications/{client_id}", timeout=5)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_invalid_client_ids_rejected_by_constructor() -> None:
    with pytest.raises(ValueError, match="invalid client id"):
        Emulator(client_ids=["no spaces"])


# --------------------------------------------------------------------------- profiles


def test_create_profile_returns_every_field(livelike_emulator: Emulator) -> None:
    response = requests.post(
        profile_url(livelike_emulator),
        json={
            "nickname": "  Ada  ",
            "custom_data": '{"team": "blue"}',
            "attributes": [{"key": "tier", "value": "gold"}],
            "unknown": "ignored",
        },
        timeout=5,
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    profile = response.json()
    profile_id = profile["id"]
    assert str(uuid.UUID(profile_id)) == profile_id
    base = livelike_emulator.url
    assert profile["url"] == f"{base}/profiles/{profile_id}/"
    assert profile["client_id"] == CLIENT
    assert profile["nickname"] == "Ada"
    assert profile["custom_data"] == '{"team": "blue"}'
    assert TIMESTAMP_RE.match(profile["created_at"])
    assert profile["reported_count"] == 0
    assert profile["points"] == 0
    assert profile["badges"] == []
    assert profile["attributes"] == [{"key": "tier", "value": "gold"}]
    assert profile["subscribe_channel"] == f"profile.{profile_id}"
    for key in ("badges_url", "reward_item_balances_url", "chat_room_memberships_url"):
        assert profile[key].startswith(f"{base}/profiles/{profile_id}/")
    assert profile["custom_id"] is None
    assert "unknown" not in profile
    token = profile["access_token"]
    assert jwt_part(token, 0) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt_part(token, 1)
    assert claims["iss"] == CLIENT
    assert claims["profile_id"] == profile_id
    assert isinstance(claims["iat"], int)
    assert claims["jti"]


def test_create_with_empty_body_assigns_a_nickname(livelike_emulator: Emulator) -> None:
    response = requests.post(profile_url(livelike_emulator), timeout=5)
    assert response.status_code == 201
    profile = response.json()
    assert 1 <= len(profile["nickname"]) <= 20
    assert profile["custom_data"] is None
    assert profile["attributes"] == []
    other = create(livelike_emulator)
    assert other["id"] != profile["id"]
    assert other["access_token"] != profile["access_token"]


def test_get_current_profile_needs_a_valid_token(livelike_emulator: Emulator) -> None:
    created = create(livelike_emulator, nickname="Bob")
    url = profile_url(livelike_emulator)

    ok = requests.get(url, headers=bearer(created["access_token"]), timeout=5)
    assert ok.status_code == 200
    expected = {key: value for key, value in created.items() if key != "access_token"}
    assert ok.json() == expected

    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert missing.json() == {"detail": "Authentication credentials were not provided."}
    assert missing.headers["WWW-Authenticate"] == "Bearer"

    for header in ("Bearer nope", "Bearer " + created["access_token"] + "x", "Bearer a b"):
        bad = requests.get(url, headers={"Authorization": header}, timeout=5)
        assert bad.status_code == 403, header
        assert bad.json() == {"detail": "Invalid token."}
        assert "WWW-Authenticate" not in bad.headers

    for header in ("Bearer", "Bearer ", "Basic dXNlcjpwdw=="):
        absent = requests.get(url, headers={"Authorization": header}, timeout=5)
        assert absent.status_code == 401, header
        assert absent.json() == {"detail": "Authentication credentials were not provided."}


def test_token_of_another_client_is_rejected(livelike_emulator: Emulator) -> None:
    created = create(livelike_emulator, CLIENT)
    response = requests.get(
        profile_url(livelike_emulator, OTHER_CLIENT),
        headers=bearer(created["access_token"]),
        timeout=5,
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid token."}


def test_patch_updates_and_persists_without_token(livelike_emulator: Emulator) -> None:
    created = create(livelike_emulator, nickname="Before", custom_data="x")
    url = profile_url(livelike_emulator)
    headers = bearer(created["access_token"])

    response = requests.patch(url, headers=headers, json={"nickname": "After"}, timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert "access_token" not in body
    assert body["nickname"] == "After"
    assert body["custom_data"] == "x"

    response = requests.patch(
        url,
        headers=headers,
        json={"custom_data": None, "attributes": [{"key": "a", "value": ""}]},
        timeout=5,
    )
    assert response.status_code == 200

    current = requests.get(url, headers=headers, timeout=5).json()
    assert current["nickname"] == "After"
    assert current["custom_data"] is None
    assert current["attributes"] == [{"key": "a", "value": ""}]
    assert current["created_at"] == created["created_at"]
    public = requests.get(created["url"], timeout=5).json()
    assert public["nickname"] == "After"


def test_patch_needs_a_token(livelike_emulator: Emulator) -> None:
    response = requests.patch(profile_url(livelike_emulator), json={"nickname": "x"}, timeout=5)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {"nickname": "x" * 21},
            {"nickname": ["Ensure this field has no more than 20 characters."]},
        ),
        ({"nickname": ""}, {"nickname": ["This field may not be blank."]}),
        ({"nickname": "   "}, {"nickname": ["This field may not be blank."]}),
        ({"nickname": 42}, {"nickname": ["Not a valid string."]}),
        ({"nickname": None}, {"nickname": ["This field may not be null."]}),
        ({"custom_data": {"a": 1}}, {"custom_data": ["Not a valid string."]}),
        ({"custom_data": 3}, {"custom_data": ["Not a valid string."]}),
        (
            {"attributes": {"key": "a"}},
            {"attributes": ['Expected a list of items but got type "dict".']},
        ),
        (
            {"attributes": [{"key": "a", "value": "b"}, {"value": 1}, "x"]},
            {
                "attributes": [
                    {},
                    {"key": ["This field is required."], "value": ["Not a valid string."]},
                    {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
                ]
            },
        ),
        (
            [1, 2],
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
        ),
    ],
)
def test_field_errors_are_drf_style(
    livelike_emulator: Emulator, payload: Any, errors: dict[str, Any]
) -> None:
    response = requests.post(profile_url(livelike_emulator), json=payload, timeout=5)
    assert response.status_code == 400
    assert response.json() == errors
    created = create(livelike_emulator)
    response = requests.patch(
        profile_url(livelike_emulator),
        headers=bearer(created["access_token"]),
        json=payload,
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == errors
    assert livelike_emulator.stats()["profiles_created_total"] == 1


def test_invalid_json_is_a_parse_error(livelike_emulator: Emulator) -> None:
    response = requests.post(
        profile_url(livelike_emulator),
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")
    assert livelike_emulator.stats()["profiles_created_total"] == 0


@pytest.mark.parametrize("suffix", ["/", ""])
def test_profile_detail(livelike_emulator: Emulator, suffix: str) -> None:
    created = create(livelike_emulator, nickname="Public")
    response = requests.get(f"{livelike_emulator.url}/profiles/{created['id']}{suffix}", timeout=5)
    assert response.status_code == 200
    assert response.json() == {k: v for k, v in created.items() if k != "access_token"}
    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        response = requests.get(f"{livelike_emulator.url}/profiles/{missing}{suffix}", timeout=5)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_method_not_allowed_and_unknown_paths(livelike_emulator: Emulator) -> None:
    response = requests.put(profile_url(livelike_emulator), json={}, timeout=5)
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST", "PATCH"}

    response = requests.post(f"{livelike_emulator.url}/applications/{CLIENT}", timeout=5)
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
    assert "GET" in response.headers["Allow"]

    response = requests.put(f"{livelike_emulator.url}/profiles/{uuid.uuid4()}/", timeout=5)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}

    for path in ("/api/v1/nothing", "/", "/api/v1/applications/"):
        response = requests.get(livelike_emulator.root_url + path, timeout=5)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
        assert response.headers["Content-Type"] == "application/json"


def test_keep_alive_session_survives_errors(livelike_emulator: Emulator) -> None:
    with requests.Session() as session:
        for _ in range(3):
            assert session.post(livelike_emulator.root_url + "/x", json={"a": 1}).status_code == 404
            response = session.post(profile_url(livelike_emulator), data=b"{", headers=JSON)
            assert response.status_code == 400
            assert session.post(profile_url(livelike_emulator), json={}).status_code == 201
            assert session.head(f"{livelike_emulator.url}/applications/{CLIENT}").status_code == 200


# --------------------------------------------------------------------------- stats and reset


def test_stats_count_routes_and_client_ids(livelike_emulator: Emulator) -> None:
    base = livelike_emulator.url
    requests.get(f"{base}/applications/{CLIENT}", timeout=5)
    first = create(livelike_emulator, CLIENT)
    create(livelike_emulator, CLIENT)
    create(livelike_emulator, OTHER_CLIENT)
    requests.get(profile_url(livelike_emulator), headers=bearer(first["access_token"]), timeout=5)
    requests.patch(profile_url(livelike_emulator), headers=bearer("bad"), json={}, timeout=5)
    requests.get(first["url"], timeout=5)
    requests.get(f"{base}/nowhere", timeout=5)
    requests.get(f"{livelike_emulator.root_url}/_emulator/stats", timeout=5)

    stats = livelike_emulator.stats()
    assert stats == {
        "profiles_created": {CLIENT: 2, OTHER_CLIENT: 1},
        "profiles_created_total": 3,
        "requests": {
            "config": 1,
            "create_profile": 3,
            "get_profile": 1,
            "update_profile": 1,
            "profile_detail": 1,
            "update_profile_detail": 0,
            "delete_profile": 0,
            "create_by_custom_id": 0,
            "get_by_custom_id": 0,
            "other": 1,
        },
        "requests_total": 8,
        "unknown_client_ids": [],
    }
    over_http = requests.get(f"{livelike_emulator.root_url}/_emulator/stats", timeout=5).json()
    assert over_http == stats
    assert set(stats["requests"]) == set(ROUTE_NAMES)


def test_reset_clears_stats_and_optionally_data(livelike_emulator: Emulator) -> None:
    created = create(livelike_emulator)
    livelike_emulator.inject("config", status=500)
    livelike_emulator.reset()
    assert livelike_emulator.stats()["requests_total"] == 0
    assert livelike_emulator.stats()["profiles_created"] == {}
    assert requests.get(created["url"], timeout=5).status_code == 200
    config = requests.get(f"{livelike_emulator.url}/applications/{CLIENT}", timeout=5)
    assert config.status_code == 200  # the fault was cleared too

    response = requests.post(
        f"{livelike_emulator.root_url}/_emulator/reset", json={"data": True}, timeout=5
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert requests.get(created["url"], timeout=5).status_code == 404
    response = requests.get(
        profile_url(livelike_emulator), headers=bearer(created["access_token"]), timeout=5
    )
    assert response.status_code == 403
    assert livelike_emulator.stats()["requests_total"] == 2


def test_control_endpoint_errors(livelike_emulator: Emulator) -> None:
    root = livelike_emulator.root_url
    assert requests.get(f"{root}/_emulator/nothing", timeout=5).status_code == 404
    assert requests.put(f"{root}/_emulator/stats", timeout=5).status_code == 405
    assert (
        requests.post(f"{root}/_emulator/reset", json={"data": "yes"}, timeout=5).status_code == 400
    )
    for bad in (
        {"route": "nope", "status": 500},
        {"route": "config"},
        {"route": "config", "status": 99},
        {"route": "config", "status": 500, "times": 0},
        {"route": "config", "drop": True, "when": "later"},
        {"route": "config", "delay": -1},
        {"route": "config", "status": 500, "colour": "red"},
        ["config"],
    ):
        response = requests.post(f"{root}/_emulator/faults", json=bad, timeout=5)
        assert response.status_code == 400, bad
        assert response.json()["detail"]
    response = requests.post(f"{root}/_emulator/faults", data=b"{", headers=JSON, timeout=5)
    assert response.status_code == 400
    assert livelike_emulator.stats()["requests_total"] == 0
    with pytest.raises(ValueError, match="route"):
        livelike_emulator.inject("nope", status=500)


# --------------------------------------------------------------------------- faults


def test_status_fault_with_retry_after_then_normal(livelike_emulator: Emulator) -> None:
    livelike_emulator.inject("create_profile", status=429, retry_after=2)
    response = requests.post(profile_url(livelike_emulator), json={}, timeout=5)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.json() == {"detail": "Too Many Requests"}
    assert livelike_emulator.stats()["profiles_created_total"] == 0
    assert livelike_emulator.stats()["requests"]["create_profile"] == 1
    assert requests.post(profile_url(livelike_emulator), timeout=5).status_code == 201


def test_status_fault_times_and_custom_body(livelike_emulator: Emulator) -> None:
    livelike_emulator.inject("config", status=503, times=2, body={"detail": "down"})
    url = f"{livelike_emulator.url}/applications/{CLIENT}"
    with requests.Session() as session:
        for _ in range(2):
            response = session.get(url)
            assert response.status_code == 503
            assert response.json() == {"detail": "down"}
            assert "Retry-After" not in response.headers
        assert session.get(url).status_code == 200
    assert livelike_emulator.stats()["requests"]["config"] == 3


def test_faults_are_fifo_per_route(livelike_emulator: Emulator) -> None:
    livelike_emulator.inject("profile_detail", status=500)
    livelike_emulator.inject("profile_detail", status=502)
    livelike_emulator.inject("config", status=504)
    url = f"{livelike_emulator.url}/profiles/{uuid.uuid4()}/"
    codes = [requests.get(url, timeout=5).status_code for _ in range(3)]
    assert codes == [500, 502, 404]
    livelike_emulator.clear_faults()
    config = requests.get(f"{livelike_emulator.url}/applications/{CLIENT}", timeout=5)
    assert config.status_code == 200


def test_delay_fault(livelike_emulator: Emulator) -> None:
    livelike_emulator.inject("config", delay=0.3)
    started = time.monotonic()
    response = requests.get(f"{livelike_emulator.url}/applications/{CLIENT}", timeout=5)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
    livelike_emulator.inject("config", delay=0.2, status=502)
    started = time.monotonic()
    response = requests.get(f"{livelike_emulator.url}/applications/{CLIENT}", timeout=5)
    assert response.status_code == 502
    assert time.monotonic() - started >= 0.2


def test_delay_fault_can_time_out_the_client(livelike_emulator: Emulator) -> None:
    livelike_emulator.inject("get_profile", delay=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(profile_url(livelike_emulator), timeout=0.1)


def test_drop_before_does_not_create(livelike_emulator: Emulator) -> None:
    livelike_emulator.inject("create_profile", drop=True)
    with pytest.raises(requests.ConnectionError):
        requests.post(profile_url(livelike_emulator), json={}, timeout=5)
    stats = livelike_emulator.stats()
    assert stats["profiles_created_total"] == 0
    assert stats["requests"]["create_profile"] == 1
    assert requests.post(profile_url(livelike_emulator), timeout=5).status_code == 201


def test_drop_after_creates_but_client_sees_an_error(livelike_emulator: Emulator) -> None:
    livelike_emulator.inject("create_profile", drop=True, when="after")
    with pytest.raises(requests.ConnectionError):
        requests.post(profile_url(livelike_emulator), json={"nickname": "Ghost"}, timeout=5)
    stats = livelike_emulator.stats()
    assert stats["profiles_created"] == {CLIENT: 1}
    assert stats["requests"]["create_profile"] == 1


def test_status_after_creates_but_answers_the_error(livelike_emulator: Emulator) -> None:
    livelike_emulator.inject("create_profile", status=502, when="after")
    response = requests.post(profile_url(livelike_emulator), json={}, timeout=5)
    assert response.status_code == 502
    assert response.json() == {"detail": "Bad Gateway"}
    assert livelike_emulator.stats()["profiles_created_total"] == 1


def test_faults_over_http(livelike_emulator: Emulator) -> None:
    root = livelike_emulator.root_url
    fault = {"route": "other", "status": 418, "times": 2, "retry_after": 0.5}
    response = requests.post(f"{root}/_emulator/faults", json=fault, timeout=5)
    assert response.json() == {"ok": True}
    response = requests.get(f"{root}/nowhere", timeout=5)
    assert response.status_code == 418
    assert response.headers["Retry-After"] == "0.5"
    assert requests.delete(f"{root}/_emulator/faults", json={}, timeout=5).json() == {"ok": True}
    assert requests.get(f"{root}/nowhere", timeout=5).status_code == 404


# --------------------------------------------------------------------------- lifecycle


def test_db_file_persists_profiles_and_tokens(tmp_path: Path) -> None:
    db = str(tmp_path / "emulator.sqlite3")
    with Emulator(db=db, client_ids=[CLIENT]) as first:
        created = create(first, nickname="Kept")
    with Emulator(db=db, client_ids=[CLIENT]) as second:
        assert second.stats()["profiles_created_total"] == 0
        response = requests.get(
            profile_url(second), headers=bearer(created["access_token"]), timeout=5
        )
        assert response.status_code == 200
        assert response.json()["nickname"] == "Kept"
        assert response.json()["id"] == created["id"]
        detail = requests.get(f"{second.url}/profiles/{created['id']}/", timeout=5)
        assert detail.status_code == 200
        newer = create(second)
        assert jwt_part(newer["access_token"], 0)["alg"] == "HS256"


def test_stop_closes_keep_alive_connections_and_can_restart() -> None:
    emulator = Emulator(client_ids=[CLIENT])
    emulator.start()
    with pytest.raises(RuntimeError):
        emulator.start()
    with requests.Session() as session:
        assert session.get(f"{emulator.url}/applications/{CLIENT}").status_code == 200
        started = time.monotonic()
        emulator.stop()
        assert time.monotonic() - started < 2
        assert not emulator.running
        with pytest.raises(RuntimeError):
            _ = emulator.url
        emulator.stop()  # idempotent
        emulator.start()
        try:
            assert session.get(f"{emulator.url}/applications/{CLIENT}").status_code == 200
        finally:
            emulator.stop()


def test_serve_yields_the_base_url() -> None:
    with serve(client_ids=["only"]) as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1", url)
        assert requests.get(f"{url}/applications/only", timeout=5).status_code == 200
        assert requests.get(f"{url}/applications/other", timeout=5).status_code == 404


def test_emulator_client(livelike_emulator: Emulator) -> None:
    client = EmulatorClient(livelike_emulator.url)
    assert client.root_url == livelike_emulator.root_url
    assert EmulatorClient(livelike_emulator.root_url + "/").url == livelike_emulator.url
    created = create(livelike_emulator)
    assert client.stats()["profiles_created"] == {CLIENT: 1}

    client.inject("profile_detail", status=503, retry_after=1)
    response = requests.get(created["url"], timeout=5)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"

    client.inject("profile_detail", status=500, times=5)
    client.clear_faults()
    assert requests.get(created["url"], timeout=5).status_code == 200

    client.reset()
    assert client.stats()["requests_total"] == 0
    assert requests.get(created["url"], timeout=5).status_code == 200
    client.reset(data=True)
    assert requests.get(created["url"], timeout=5).status_code == 404

    with pytest.raises(ValueError, match="route"):
        client.inject("nope", status=500)
    with pytest.raises(ValueError, match="http"):
        EmulatorClient("ftp://example.com")


def test_cli_main_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--client-id", "not valid!"]) == 2
    assert "invalid client id" in capsys.readouterr().err
    assert cli_main(["--port", "nope"]) == 2
    assert cli_main(["--help"]) == 0
    assert "--client-id" in capsys.readouterr().out


def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    args = ["--db", str(tmp_path / "cli.sqlite3"), "--client-id", "cli-client"]
    with emulator_cli(*args) as (process, url, line):
        assert re.fullmatch(
            r"LiveLike emulator listening on (http://127\.0\.0\.1:\d+/api/v1)\n", line
        ), line
        assert requests.get(f"{url}/applications/cli-client", timeout=5).status_code == 200
        assert requests.get(f"{url}/applications/other", timeout=5).status_code == 404
        client = EmulatorClient(url)
        assert client.stats()["requests"]["config"] == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        assert process.stderr.read() == ""

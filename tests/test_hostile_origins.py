"""Spellings of one API origin share one key; different names and subjects do not."""

from __future__ import annotations

import unicodedata

import pytest

import livelike
from livelike.emulator import Emulator
from tests.conftest import CLIENT_ID, MakeClient, created


@pytest.mark.parametrize(
    "api_url",
    [
        "https://api.example.com/api/v1",
        "https://api.example.com:443/api/v1",
        "https://api.example.com/api/v1/",
        "HTTPS://Api.Example.COM./api/v1",
        "https://API.example.com.:443/api/v1/",
    ],
)
def test_spellings_of_one_origin_give_one_key(api_url: str) -> None:
    client = livelike.LiveLike(CLIENT_ID, api_url=api_url)
    assert client.api_origin == "https://api.example.com"
    reference = livelike.LiveLike(CLIENT_ID, api_url="https://api.example.com/api/v1")
    assert client._key("u").digest == reference._key("u").digest


@pytest.mark.parametrize(
    ("api_url", "origin"),
    [
        ("https://api.example.com:8443/api/v1", "https://api.example.com:8443"),
        ("http://localhost:80/api/v1", "http://localhost"),
        ("http://127.0.0.1:80/api/v1", "http://127.0.0.1"),
        ("http://[::1]:8000/api/v1", "http://[::1]:8000"),
        ("https://[::1]:443/api/v1", "https://[::1]"),
    ],
)
def test_other_ports_and_names_of_this_machine_stay_distinct(api_url: str, origin: str) -> None:
    assert livelike.LiveLike(CLIENT_ID, api_url=api_url).api_origin == origin


def test_one_emulator_under_two_spellings_creates_one_profile(
    make_client: MakeClient, emulator: Emulator
) -> None:
    host_port = emulator.url.split("/")[2]
    first = make_client(api_url=f"HTTP://{host_port}/api/v1/").init()
    again = make_client(api_url=f"http://{host_port}/api/v1").init()
    assert again.id == first.id
    assert created(emulator) == 1


def test_localhost_and_127_0_0_1_are_distinct_origins(
    make_client: MakeClient, emulator: Emulator
) -> None:
    port = emulator.url.split("/")[2].split(":")[1]
    by_ip = make_client(api_url=f"http://127.0.0.1:{port}/api/v1").init()
    by_name = make_client(api_url=f"http://localhost:{port}/api/v1").init()
    assert by_ip.id != by_name.id
    assert created(emulator) == 2


def test_subjects_are_compared_exactly(make_client: MakeClient, emulator: Emulator) -> None:
    """No case folding and no Unicode normalisation: each spelling is its own subject."""
    composed = unicodedata.normalize("NFC", "José")
    decomposed = unicodedata.normalize("NFD", "José")
    assert composed != decomposed
    client = make_client()
    ids = {client.init(subject=s).id for s in (composed, decomposed, "jose", "JOSE", "José ")}
    assert len(ids) == 5
    assert client.init(subject=composed).id in ids
    assert created(emulator) == 5

"""A proxy set in the environment never sees requests to a loopback API."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest

from livelike import errors
from livelike.emulator import Emulator
from tests.conftest import MakeClient, created


class RecordingProxy(socketserver.ThreadingTCPServer):
    """A proxy on 127.0.0.1 that records every byte sent to it and answers 502."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[bytes] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data = self.request.recv(65536)
        assert isinstance(self.server, RecordingProxy)
        self.server.received.append(data)
        self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingProxy]:
    server = RecordingProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, server.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.shutdown()
    server.server_close()


def test_a_loopback_api_is_reached_directly_not_through_the_proxy(
    make_client: MakeClient, emulator: Emulator, proxy: RecordingProxy
) -> None:
    client = make_client()
    profile = client.init()
    client.update_user_profile(nickname="Direct")
    assert client.get_user_profile().nickname == "Direct"
    assert profile.access_token
    assert created(emulator) == 1
    assert proxy.received == []


def test_the_proxy_is_still_used_for_other_hosts(proxy: RecordingProxy) -> None:
    """The exemption is for loopback only: a remote host still goes through the proxy."""
    from livelike._transport import RetryPolicy, Transport

    transport = Transport(timeout=(2.0, 2.0), retry=RetryPolicy(max_retries=0))
    try:
        with pytest.raises(errors.ServiceError):
            transport.request("GET", "http://api.example.invalid/api/v1/applications/x")
    finally:
        transport.close()
    assert proxy.received
    assert proxy.received[0].startswith(b"GET http://api.example.invalid/")

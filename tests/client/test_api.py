"""FarmClient transport: which failures are retried; a POST that may have landed is never sent twice."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests
import urllib3.exceptions

from render_client.api import FarmClient
from render_client.errors import CannotReachServer


class FailingSession(requests.Session):
    """Raises the given error for every request and counts the attempts."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.calls = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls += 1
        raise self.error


def client(session: requests.Session | None = None, server: str = "http://farm.invalid") -> FarmClient:
    return FarmClient(server, "t", session=session, retries=3, sleep=lambda _s: None)


@pytest.mark.parametrize(
    "error",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.")),
    ],
)
def test_a_post_that_may_have_landed_is_not_sent_again(error: Exception) -> None:
    session = FailingSession(error)
    with pytest.raises(CannotReachServer):
        client(session).submit({"name": "shot"})
    assert session.calls == 1


def test_a_get_after_a_read_timeout_is_retried() -> None:
    session = FailingSession(requests.ReadTimeout("read timed out"))
    with pytest.raises(CannotReachServer):
        client(session).task("t1")
    assert session.calls == 4


def test_a_post_that_never_connected_is_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket closes
    session = requests.Session()
    calls: list[str] = []
    original = session.request

    def counting(*args: Any, **kwargs: Any) -> requests.Response:
        calls.append(args[0])
        return original(*args, **kwargs)

    session.request = counting  # type: ignore[method-assign]
    with pytest.raises(CannotReachServer):
        client(session, f"http://127.0.0.1:{port}").submit({"name": "shot"})
    assert calls == ["POST"] * 4
    timeout = FailingSession(requests.ConnectTimeout("connect timed out"))
    with pytest.raises(CannotReachServer):
        client(timeout).submit({"name": "shot"})
    assert timeout.calls == 4

"""EventStream: SSE parsing, per-account streams, and resuming from Last-Event-ID."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from backend.events.bus import EventKind
from render_client.errors import NotAuthorized
from render_client.events import EventStream, FarmEvent, parse_stream
from tests.farm_harness import RunningFarm, farm_in_thread


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[RunningFarm]:
    with farm_in_thread(tmp_path / "farm") as running:
        yield running


def test_sse_lines_become_events_and_comments_are_skipped() -> None:
    lines = [
        "retry: 2000",
        ": a comment",
        "",
        "id: 7",
        "event: frame-progress",
        'data: {"task": "t1", "percent": 50}',
        "",
        ": keepalive",
        "",
    ]

    events = list(parse_stream(iter(lines)))

    assert events == [FarmEvent(7, "frame-progress", "t1", {"task": "t1", "percent": 50})]


def collect(farm: RunningFarm, count: int, last_event_id: int | None) -> list[FarmEvent]:
    got: list[FarmEvent] = []
    enough = threading.Event()

    def on_event(event: FarmEvent) -> None:
        got.append(event)
        if len(got) >= count:
            enough.set()

    stream = EventStream(farm.url, farm.token, last_event_id=last_event_id)
    stream.start(on_event)
    try:
        assert enough.wait(10), got
    finally:
        stream.close()
    return got


def test_a_stream_resumes_after_the_last_event_it_saw(farm: RunningFarm) -> None:
    assert farm.server is not None
    ctx = farm.server.ctx
    me = ctx.accounts.authenticate(farm.token)
    other = ctx.accounts.create_account("other@studio.example")
    assert me is not None
    for n in range(3):
        ctx.events.publish(EventKind.FRAME_PROGRESS, {"percent": n}, account_id=me.account_id, task_uuid="t")
    ctx.events.publish(EventKind.FRAME_PROGRESS, {"percent": 99}, account_id=other.account_id, task_uuid="x")

    first = collect(farm, 3, last_event_id=0)
    ctx.events.publish(EventKind.FRAME_PROGRESS, {"percent": 3}, account_id=me.account_id, task_uuid="t")
    resumed = collect(farm, 1, last_event_id=first[1].id)

    assert [e.data["percent"] for e in first] == [0, 1, 2]
    assert [e.data["percent"] for e in resumed][:2] == [2, 3]
    assert all(e.task == "t" for e in first + resumed)


def test_a_bad_token_is_reported_not_retried(farm: RunningFarm) -> None:
    with pytest.raises(NotAuthorized):
        next(iter(EventStream(farm.url, "hth_bad_token")))


class _CuttingSseServer(ThreadingHTTPServer):
    """Serves /events: the first connection is cut in the middle of a chunk, later ones end cleanly."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CuttingSseHandler)
        self.last_event_ids: list[str | None] = []


class _CuttingSseHandler(BaseHTTPRequestHandler):
    server: _CuttingSseServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.server.last_event_ids.append(self.headers.get("Last-Event-ID"))
        first = len(self.server.last_event_ids) == 1
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        event_id = 1 if first else 2
        body = f'id: {event_id}\nevent: frame-done\ndata: {{"task": "t", "n": {event_id}}}\n\n'.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(body), body))
        if first:
            self.wfile.write(b"100\r\nid: 9")  # a chunk promised 256 bytes; the connection drops
        else:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def test_an_abruptly_cut_stream_reconnects_with_last_event_id() -> None:
    server = _CuttingSseServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        stream = EventStream(f"http://127.0.0.1:{server.server_address[1]}", "hth_token")
        got: list[FarmEvent] = []
        for event in stream:
            got.append(event)
            if len(got) == 2:
                stream.close()
        assert [e.id for e in got] == [1, 2]
        assert server.last_event_ids[:2] == [None, "1"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

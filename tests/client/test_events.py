"""EventStream: SSE parsing, per-account streams, and resuming from Last-Event-ID."""

from __future__ import annotations

import threading
from collections.abc import Iterator
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

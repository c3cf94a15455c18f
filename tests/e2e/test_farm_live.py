"""What an artist watches on a real local farm: live progress, previews, abort, and a quick start."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from render_client.events import EventStream, FarmEvent
from tests.e2e.farm_client import Farm, first_event, worker_pids
from tests.farm_harness import start_farm_process, stop_process

SLOW = {"BLEND_CYCLES_SAMPLES": "256", "BLEND_W": "320", "BLEND_H": "180"}
LOCAL_FARM_READY_S = 5.0
ABORT_STOPS_WITHIN_S = 2.0


@pytest.mark.timeout(300)
def test_an_event_stream_shows_progress_and_a_progressive_preview_before_the_frame_ends(
    local_farm: tuple[subprocess.Popen[str], Farm], scene: Path
) -> None:
    _, client = local_farm
    client.upload_folder("live", scene)
    seen: list[FarmEvent] = []
    done = threading.Event()
    stream = EventStream(client.url, client.token)

    def on_event(event: FarmEvent) -> None:
        seen.append(event)
        if event.kind == "task-state" and event.data["state"] in ("Success", "Failure"):
            done.set()

    stream.start(on_event)
    assert stream.connected.wait(10)
    try:
        uuid = client.submit("live", "1", "live", "scene.blend", **SLOW)
        assert done.wait(240), [e.kind for e in seen]
    finally:
        stream.close()

    mine = [e for e in seen if e.task == uuid]
    kinds = [e.kind for e in mine]
    frame_done = kinds.index("frame-done")
    progressive = [
        i for i, e in enumerate(mine) if e.kind == "preview-ready" and e.data["preview"] == "progressive"
    ]
    progress = [i for i, e in enumerate(mine) if e.kind == "frame-progress" and 0 < e.data["percent"] < 100]
    assert progressive and progressive[0] < frame_done
    assert progress and progress[0] < frame_done
    assert mine[frame_done].data["energyWh"] > 0 and mine[frame_done].data["node"].startswith("local-")
    assert client.api("GET", f"/tasks/{uuid}/previews/1").content.startswith(b"\xff\xd8")
    assert any(e.kind == "carbon-facts" for e in mine)


@pytest.mark.timeout(300)
def test_abort_stops_running_frames_within_two_seconds(
    local_farm: tuple[subprocess.Popen[str], Farm], scene: Path
) -> None:
    process, client = local_farm
    client.upload_folder("abort", scene)
    uuid = client.submit("abort", "1-2", "abort", "scene.blend", **SLOW)
    first_event(client, lambda e: e.task == uuid and e.kind == "frame-progress")
    assert worker_pids(process.pid), "a Blender worker should be rendering"

    client.api("POST", f"/tasks/{uuid}/abort")
    aborted_at = time.monotonic()
    while worker_pids(process.pid) and time.monotonic() - aborted_at < 30:
        time.sleep(0.05)  # polling the process table for the condition, with a deadline
    stopped_after = time.monotonic() - aborted_at

    assert client.task(uuid)["state"] == "Cancelled"
    assert stopped_after < ABORT_STOPS_WITHIN_S, f"workers still rendering {stopped_after:.2f} s after abort"


def test_the_local_farm_is_ready_in_under_five_seconds(tmp_path: Path) -> None:
    started = time.monotonic()
    process, ready = start_farm_process(tmp_path / "farm", nodes=2)
    try:
        ready_after = time.monotonic() - started
        client = Farm.from_ready(ready)
        heard: set[str] = set()

        def both_nodes_heard(event: FarmEvent) -> bool:
            if event.kind == "node-telemetry":
                heard.add(event.data["node"])
            return heard == {"local-1", "local-2"}

        first_event(client, both_nodes_heard, timeout_s=LOCAL_FARM_READY_S)
        nodes_after = time.monotonic() - started
    finally:
        stop_process(process)
    assert ready_after < LOCAL_FARM_READY_S
    assert nodes_after < LOCAL_FARM_READY_S, f"both local nodes heartbeating after {nodes_after:.2f} s"

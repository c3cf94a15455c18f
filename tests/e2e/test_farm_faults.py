"""Faults on a real local farm: a node killed mid-frame, a server restart, broken scenes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import HEARTBEAT_TIMEOUT
from tests.e2e.farm_client import Farm, first_event, node_pid, node_worker_pids, running, wait_until
from tests.farm_harness import start_farm_process, stop_process

# Big enough that a frame takes a second or two, so a kill lands mid-frame.
SLOW = {"BLEND_CYCLES_SAMPLES": "64", "BLEND_W": "320", "BLEND_H": "180"}


@pytest.mark.timeout(300)
def test_a_node_killed_mid_frame_loses_no_frame_and_leaves_no_duplicate(
    local_farm: tuple[subprocess.Popen[str], Farm], scene: Path
) -> None:
    process, farm = local_farm
    farm.upload_folder("killnode", scene)
    uuid = farm.submit("kill", "1-4", "killnode", "scene.blend", **SLOW)
    victim = first_event(farm, lambda e: e.task == uuid and e.kind == "frame-progress").data
    victim_pid = node_pid(process.pid, victim["node"])
    workers = node_worker_pids(victim_pid)
    assert workers, "the node reported progress, so its Blender worker is running"

    os.kill(victim_pid, signal.SIGKILL)
    wait_until(
        lambda: not any(running(pid) for pid in workers), 5.0, "the killed node's Blender worker did not die"
    )
    task = farm.wait_final(uuid)

    assert task["state"] == "Success", task["errors"]
    assert farm.result_keys(uuid) == [f"frame_{f:04d}.png" for f in range(1, 5)]
    assert task["resultsCount"] == 4
    redone = first_event(
        farm, lambda e: e.task == uuid and e.kind == "frame-done" and e.data["frame"] == victim["frame"]
    )
    assert redone.data["node"] != victim["node"]


@pytest.mark.timeout(300)
def test_the_task_completes_after_a_server_restart(tmp_path: Path, scene: Path) -> None:
    process, ready = start_farm_process(tmp_path / "farm", *HEARTBEAT_TIMEOUT, nodes=2)
    try:
        farm = Farm.from_ready(ready)
        farm.upload_folder("restart", scene)
        uuid = farm.submit("restart", "1-4", "restart", "scene.blend", **SLOW)
        first_event(farm, lambda e: e.task == uuid and e.kind == "frame-progress")
    finally:
        stop_process(process, signal.SIGKILL)

    process, ready = start_farm_process(tmp_path / "farm", *HEARTBEAT_TIMEOUT, nodes=2)
    try:
        farm = Farm.from_ready(ready)
        task = farm.wait_final(uuid)
        assert task["state"] == "Success", task["errors"]
        assert farm.result_keys(uuid) == [f"frame_{f:04d}.png" for f in range(1, 5)]
    finally:
        stop_process(process)


@pytest.mark.timeout(300)
def test_a_corrupt_blend_fails_the_task_with_a_clear_error(
    local_farm: tuple[subprocess.Popen[str], Farm], tmp_path: Path
) -> None:
    _, farm = local_farm
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "scene.blend").write_bytes(b"BLENDER-v500 this is not really a blend file" * 10)
    farm.upload_folder("corrupt", tmp_path / "broken")
    uuid = farm.submit("corrupt", "1-2", "corrupt", "scene.blend")

    task = farm.wait_final(uuid)

    assert task["state"] == "Failure"
    messages = " ".join(e["message"] for e in task["errors"])
    assert "scene.blend" in messages and "frame 1" in messages
    stdout = farm.api("GET", f"/tasks/{uuid}/stdout").text
    assert "scene.blend" in stdout


@pytest.mark.timeout(300)
def test_a_scene_file_gone_before_rendering_fails_the_task_clearly(tmp_path: Path, scene: Path) -> None:
    process, ready = start_farm_process(tmp_path / "farm", *HEARTBEAT_TIMEOUT, nodes=0)
    node: subprocess.Popen[bytes] | None = None
    try:
        farm = Farm.from_ready(ready)
        farm.upload_folder("gone", scene)
        uuid = farm.submit("gone", "1", "gone", "scene.blend")
        farm.s3.delete_object(Bucket="gone", Key="scene.blend")
        add_node = [
            sys.executable,
            "-m",
            "backend.cli",
            "node",
            "add",
            "late",
            "--data-dir",
            str(tmp_path / "farm"),
        ]
        token = subprocess.run(add_node, check=True, capture_output=True, text=True).stdout.strip()
        node = subprocess.Popen(
            [sys.executable, "-m", "backend.node", "--server", farm.url, "--name", "late", "--work-dir",
             str(tmp_path / "late"), "--threads", "1"],
            env={**os.environ, "HEARTH_NODE_TOKEN": token},
        )  # fmt: skip

        task = farm.wait_final(uuid)

        assert task["state"] == "Failure"
        error = next((e["message"] for e in task["errors"] if "scene.blend" in e["message"]), None)
        assert error is not None, task["errors"]
        stdout = farm.api("GET", f"/tasks/{uuid}/stdout").text
        assert error.removeprefix("frame 1: ") in stdout, stdout
    finally:
        if node is not None:
            node.terminate()
            node.wait(30)
        stop_process(process)

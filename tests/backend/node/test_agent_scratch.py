"""NodeAgent with a fake farm: scratch is wiped after every frame; inputs come back from the cache."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from backend.fleet.protocol import ClaimResponse, CompleteReport, FailReport, InputObject, RoomState
from backend.node.__main__ import node_heat
from backend.node.agent import NodeAgent, NodeConfig
from backend.node.client import ServerUnavailableError
from backend.node.room import Room, Thermostat
from tests.e2e.farm_client import node_worker_pids
from tests.scenes import make_textured_scene

TASK = "0d5a3f2e-1111-4c8e-9a50-5a1f0c3e7b21"
TINY = {"BLEND_FILE": "scene.blend", "BLEND_W": "32", "BLEND_H": "18", "BLEND_CYCLES_SAMPLES": "2"}


class FakeFarm:
    """Hands out claims in order; records what the node reports and what its scratch held at each claim."""

    def __init__(self, scene: Path, scratch_root: Path, claims: list[ClaimResponse]) -> None:
        self.files = {p.relative_to(scene).as_posix(): p for p in scene.rglob("*") if p.is_file()}
        self.scratch_root = scratch_root
        self.claims = claims
        self.agent: NodeAgent | None = None
        self.scratch_at_claim: list[list[str]] = []
        self.workers_at_claim: list[list[int]] = []
        self.downloads: list[str] = []
        self.fail_downloads_of: set[str] = set()
        self.completed: list[tuple[int, CompleteReport]] = []
        self.failed: list[tuple[int, FailReport]] = []
        self.stopped = threading.Event()

    def inputs(self) -> list[InputObject]:
        return [
            InputObject(path=key, bucket="scene", key=key, size=p.stat().st_size,
                        etag=hashlib.md5(p.read_bytes(), usedforsecurity=False).hexdigest())
            for key, p in sorted(self.files.items())
        ]  # fmt: skip

    def claim(self, room: RoomState, speed: float, wait_s: float) -> ClaimResponse | None:
        held = sorted(str(p.relative_to(self.scratch_root)) for p in self.scratch_root.rglob("*"))
        self.scratch_at_claim.append(held)
        self.workers_at_claim.append(node_worker_pids(os.getpid(), waiting=True))
        if self.claims:
            return self.claims.pop(0)
        assert self.agent is not None
        self.agent.stop()
        self.stopped.set()
        return None

    def download(self, attempt_id: int, bucket: str, key: str, dest: Path, expected_etag: str) -> None:
        if key in self.fail_downloads_of:
            raise ServerUnavailableError(f"download of {bucket}/{key} broke off")
        self.downloads.append(key)
        shutil.copyfile(self.files[key], dest)

    def watch(self, attempt_id: int, wait_s: float) -> bool:
        self.stopped.wait(wait_s)  # a long poll that nothing cancels
        return False

    def upload_output(self, attempt_id: int, name: str, path: Path, content_type: str) -> str:
        assert path.stat().st_size > 0
        return "etag"

    def complete(self, attempt_id: int, report: CompleteReport) -> bool:
        self.completed.append((attempt_id, report))
        return True

    def fail(self, attempt_id: int, report: FailReport) -> bool:
        self.failed.append((attempt_id, report))
        return True

    def started(self, attempt_id: int) -> bool:
        return True

    def heartbeat(self, telemetry: dict[str, Any]) -> None:
        pass

    def progress(self, *args: object) -> bool:
        return True

    def upload_preview(self, *args: object) -> bool:
        return True

    def close(self) -> None:
        pass


def claim(farm: FakeFarm, attempt_id: int, frame: int) -> ClaimResponse:
    return ClaimResponse(attempt_id=attempt_id, task_uuid=TASK, frame=frame, attempt=1, constants=TINY,
                         inputs=farm.inputs(), heat_wanted=True)  # fmt: skip


def run_agent(farm: FakeFarm, work_dir: Path, *, ready_blender: bool = True) -> None:
    room = Room(t_air_c=17.0, thermostat=Thermostat(setpoint_c=19.0))
    config = NodeConfig(
        name="fake-node", work_dir=work_dir, threads=1, heartbeat_interval_s=60.0, ready_blender=ready_blender
    )
    agent = NodeAgent(config, farm, node_heat(room, threads=1))  # type: ignore[arg-type]
    farm.agent = agent
    agent.run()


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    make_textured_scene(tmp_path / "scene", frame_start=1, frame_end=2, width=32, height=18, samples=2)
    return tmp_path / "scene"


@pytest.mark.timeout(180)
def test_the_scratch_dir_is_wiped_after_each_frame_and_inputs_come_back_from_the_cache(
    scene: Path, tmp_path: Path
) -> None:
    work = tmp_path / "node"
    farm = FakeFarm(scene, work / "scratch", [])
    farm.claims = [claim(farm, 1, 1), claim(farm, 2, 2)]

    run_agent(farm, work)

    assert [a for a, _ in farm.completed] == [1, 2], farm.failed
    assert farm.scratch_at_claim == [[], [], []]  # before frame 1, between the frames, after frame 2
    assert sorted(farm.downloads) == sorted(farm.files)  # frame 2 downloaded nothing


def test_a_failed_input_fetch_leaves_no_scratch_behind(scene: Path, tmp_path: Path) -> None:
    work = tmp_path / "node"
    farm = FakeFarm(scene, work / "scratch", [])
    farm.claims = [claim(farm, 1, 1)]
    farm.fail_downloads_of = {"textures/checker.png"}

    run_agent(farm, work)

    assert [a for a, _ in farm.failed] == [1] and "broke off" in farm.failed[0][1].message
    assert farm.downloads == ["scene.blend"]  # it got that far before the texture failed
    assert farm.scratch_at_claim == [[], []]


@pytest.mark.timeout(180)
def test_the_first_frame_renders_in_the_blender_started_while_the_node_was_idle(
    scene: Path, tmp_path: Path
) -> None:
    farm = FakeFarm(scene, tmp_path / "node" / "scratch", [])
    farm.claims = [claim(farm, 1, 1), claim(farm, 2, 2)]

    run_agent(farm, tmp_path / "node")

    assert [a for a, _ in farm.completed] == [1, 2], farm.failed
    before_work, between_frames, after = farm.workers_at_claim
    # Started before the first claim, it rendered both frames: no other Blender was started.
    assert len(before_work) == 1 and between_frames == before_work and after == before_work
    assert node_worker_pids(os.getpid(), waiting=True) == []  # let go when the node stopped


@pytest.mark.timeout(180)
def test_a_node_told_not_to_keep_blender_ready_starts_it_for_the_frame(scene: Path, tmp_path: Path) -> None:
    farm = FakeFarm(scene, tmp_path / "node" / "scratch", [])
    farm.claims = [claim(farm, 1, 1)]

    run_agent(farm, tmp_path / "node", ready_blender=False)

    assert [a for a, _ in farm.completed] == [1], farm.failed
    assert farm.workers_at_claim[0] == []

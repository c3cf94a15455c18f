"""End to end: a scene rendered by a local farm of two heater nodes, driven by the public qarnot SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qarnot

from tests.e2e.local_render import max_pixel_difference, render_locally
from tests.farm_harness import start_farm_process, stop_process
from tests.scenes import make_textured_scene

SAMPLES = 4
FRAMES = list(range(1, 7))
WAIT_TIMEOUT_S = 240.0


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[dict[str, Any]]:
    process, ready = start_farm_process(tmp_path / "farm", nodes=2)
    creds = json.loads(Path(ready["credentials"]).read_text())
    try:
        yield {**ready, **creds}
    finally:
        stop_process(process)


def wait_final(task: Any, timeout_s: float) -> None:
    """The SDK's own wait(), in 1 s naps so the test ends as soon as the task does."""
    deadline = time.monotonic() + timeout_s
    while not task.wait(timeout=1):
        assert time.monotonic() < deadline, f"task still {task.state} after {timeout_s} s"


@pytest.mark.timeout(400)
def test_six_frames_render_on_two_nodes_and_match_a_local_render(
    farm: dict[str, Any], tmp_path: Path
) -> None:
    scene_dir = tmp_path / "scene"
    blend = make_textured_scene(scene_dir, frame_start=1, frame_end=6)
    conn = qarnot.connection.Connection(client_token=farm["token"], cluster_url=farm["url"])
    resources = conn.create_bucket("e2e-scene")
    resources.sync_directory(str(scene_dir))
    task = conn.create_task("e2e", "blender", "1-6")
    task.constants["BLEND_FILE"] = blend.name
    task.constants["BLEND_CYCLES_SAMPLES"] = str(SAMPLES)
    task.resources = [resources]
    task.results = conn.create_bucket("e2e-frames")

    task.submit()
    wait_final(task, WAIT_TIMEOUT_S)
    task.download_results(str(tmp_path / "frames"))

    assert task.state == "Success", (task.errors, task.stdout())
    got = sorted(p.name for p in (tmp_path / "frames").rglob("*.png"))
    assert got == [f"frame_{f:04d}.png" for f in FRAMES]
    reference = render_locally(blend, FRAMES, tmp_path / "local", SAMPLES)
    for frame, path in reference.items():
        assert max_pixel_difference(tmp_path / "frames" / path.name, path) <= 2, f"frame {frame} differs"

    facts = task.carbon_facts()
    assert facts.energy_it_Wh > 0 and facts.carbon_footprint_gC02eq > 0
    assert facts.equivalent_dc_carbon_footprint_gC02eq > 0
    saved_total = facts.saved_carbon_footprint_compute_heat_gC02eq
    assert (
        facts.saved_carbon_footprint_compute_gC02eq + facts.saved_carbon_footprint_heat_gC02eq
        == pytest.approx(saved_total)
    )
    assert facts.equivalent_dc_carbon_footprint_gC02eq - facts.carbon_footprint_gC02eq == pytest.approx(
        saved_total
    )
    assert facts.saved_carbon_footprint_percent == pytest.approx(
        100 * saved_total / facts.equivalent_dc_carbon_footprint_gC02eq
    )
    pue, erf, ere = facts.PUE, facts.ERF, facts.ERE  # (upper-case SDK names read as constants to linters)
    assert pue == pytest.approx(facts.energy_consumption_Wh / facts.energy_it_Wh)
    assert erf == pytest.approx(facts.energy_reuse_Wh / facts.energy_consumption_Wh)
    assert ere == pytest.approx((facts.energy_consumption_Wh - facts.energy_reuse_Wh) / facts.energy_it_Wh)

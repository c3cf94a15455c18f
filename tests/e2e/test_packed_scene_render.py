"""A scene with every kind of dependency packs, renders on the farm through `hearth submit`, and matches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from render_client.cli import main as hearth
from tests.client.scene_factory import make_scene
from tests.e2e.local_render import max_pixel_difference, render_locally
from tests.farm_harness import start_farm_process, stop_process

FRAMES = list(range(1, 7))
SAMPLES = 4

# The generated scene has no light; a sun and a grey world make its textures show in the pixels.
_LIGHT_IT = r"""
import sys
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
scene = bpy.context.scene
world = bpy.data.worlds.new("World")
world.color = (0.6, 0.6, 0.6)
scene.world = world
sun = bpy.data.objects.new("Sun", bpy.data.lights.new("Sun", "SUN"))
sun.data.energy = 3.0
scene.collection.objects.link(sun)
scene.render.resolution_x, scene.render.resolution_y = 64, 36
scene.frame_start, scene.frame_end = 1, 6
bpy.ops.wm.save_mainfile(compress=True, relative_remap=False)
"""


@pytest.mark.timeout(400)
def test_every_kind_of_dependency_packs_and_renders_like_the_original(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = make_scene(tmp_path / "user")
    subprocess.run([sys.executable, "-c", _LIGHT_IT, str(scene.main_blend)], check=True, capture_output=True)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "user").rglob("*") if p.is_file()}
    process, ready = start_farm_process(tmp_path / "farm", nodes=2)
    try:
        token = json.loads(Path(ready["credentials"]).read_text())["token"]
        code = hearth(
            ["--server", ready["url"], "--token", token, "submit", str(scene.folder), "--frames", "1-6",
             "--samples", str(SAMPLES), "--wait", "--download", str(tmp_path / "out")]
        )  # fmt: skip
        _, err = capsys.readouterr()
    finally:
        stop_process(process)

    assert code == 0, err
    frames = sorted((tmp_path / "out").rglob("frame_*.png"))
    assert [p.name for p in frames] == [f"frame_{f:04d}.png" for f in FRAMES]
    reference = render_locally(scene.main_blend, FRAMES, tmp_path / "local", SAMPLES)
    for frame, path in reference.items():
        farm_frame = tmp_path / "out" / path.name
        assert max_pixel_difference(farm_frame, path) <= 2, f"frame {frame} differs from the local render"
    assert {p: p.stat().st_mtime_ns for p in before} == before, "the user's files were modified"
    assert distinct_colours(tmp_path / "out" / "frame_0001.png") >= 4, "textures should show in the frame"


def distinct_colours(png: Path) -> int:
    """Coarse colour count: a frame with missing textures is a few flat colours (or magenta)."""
    pixels = np.asarray(Image.open(png).convert("RGB")) // 32
    return len({tuple(p) for row in pixels for p in row})

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
from tests.client.scene_factory import (
    ABS_RGB,
    LIB_RGB,
    REL_RGB,
    make_scene,
    object_pixel,
    sequence_rgb,
    udim_rgb,
)
from tests.e2e.local_render import max_pixel_difference, render_locally
from tests.farm_harness import start_farm_process, stop_process

FRAMES = list(range(1, 7))
SAMPLES = 4
COLOUR_TOLERANCE = 6  # 0-255 per channel: emission shading, Standard view transform

# The generated scene has no light; a sun and a grey world light it (its emissive cubes show regardless).
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
    # Each texture in its own cube, each cube in its own place: a lost file shows as the wrong colour
    # (Blender's magenta) exactly where that texture should be, even if the local render lost it too.
    expected = {
        "abs_tex": ABS_RGB,  # outside the scene folder, stored absolute: rewritten in the packed copy
        "rel_tex": REL_RGB,
        "udim_tex": udim_rgb(0),  # outside the scene folder; the cubes' UVs lie on tile 1001
        "lib_tex": LIB_RGB,  # the linked library's own relative texture
    }
    for frame in (1, 3):
        colours = {**expected, "seq_tex": sequence_rgb(frame - 1)}  # the sequence follows the frame
        seen = colours_at(tmp_path / "out" / f"frame_{frame:04d}.png", list(colours))
        for name, rgb in colours.items():
            assert max(abs(a - b) for a, b in zip(seen[name], rgb, strict=True)) <= COLOUR_TOLERANCE, (
                f"frame {frame}: the cube textured with {name} is {seen[name]}, not {rgb}"
            )


def colours_at(png: Path, names: list[str]) -> dict[str, tuple[int, ...]]:
    """The median colour of a 3x3 patch at the centre of each named texture's cube."""
    pixels = np.asarray(Image.open(png).convert("RGB"))
    height, width = pixels.shape[:2]
    found: dict[str, tuple[int, ...]] = {}
    for name in names:
        column, row = object_pixel(name, width, height)
        patch = pixels[row - 1 : row + 2, column - 1 : column + 2].reshape(-1, 3)
        found[name] = tuple(int(v) for v in np.median(patch, axis=0))
    return found

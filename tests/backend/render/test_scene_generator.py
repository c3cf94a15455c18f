"""The shared test-scene generator writes what it promises (other test suites rely on it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.scenes import make_textured_scene

INSPECT = r"""
import json, sys
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
s = bpy.context.scene
img = bpy.data.images["checker"]
print("INFO " + json.dumps({
    "scene": s.name, "frames": [s.frame_start, s.frame_end], "camera": s.camera.name,
    "cameras": sorted(o.name for o in bpy.data.objects if o.type == "CAMERA"),
    "texture": img.filepath, "texture_abs": bpy.path.abspath(img.filepath),
    "size": [s.render.resolution_x, s.render.resolution_y], "denoise": s.cycles.use_denoising,
}))
"""


def inspect(blend: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", INSPECT, str(blend)], capture_output=True, text=True, timeout=60, check=True
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("INFO "))
    info: dict[str, object] = json.loads(line[5:])
    return info


def test_relative_and_absolute_texture_variants(tmp_path: Path) -> None:
    rel = make_textured_scene(tmp_path / "rel", frame_start=5, frame_end=7, width=32, height=18)
    info = inspect(rel)
    assert info["texture"] == "//textures/checker.png"
    assert Path(str(info["texture_abs"])) == (tmp_path / "rel" / "textures" / "checker.png").resolve()
    assert info["frames"] == [5, 7] and info["size"] == [32, 18] and info["denoise"] is False
    assert info["camera"] == "Camera" and info["cameras"] == ["Camera", "SideCamera"]

    absolute = make_textured_scene(
        tmp_path / "abs", absolute_texture=True, scene_name="Shot", camera_name="Cam"
    )
    info = inspect(absolute)
    assert Path(str(info["texture"])).is_absolute()
    assert Path(str(info["texture"])).is_file()
    assert info["scene"] == "Shot" and info["camera"] == "Cam"

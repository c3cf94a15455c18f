"""Downloaded frames are named like Blender's own output: render.frame_path(frame=N)."""

from __future__ import annotations

from pathlib import Path

from tests.addon.blender_session import run_session

OUTPUT_PATHS = ["//render/shot_", "//render/", "//sh##ot_v2", "//render/shot_####_2k", "//x/frame-", "//a/b9"]
FRAMES = [1, 42, 12345]

_NAMING = r"""
bpy.ops.wm.save_as_mainfile(filepath=os.path.join(CFG["dir"], "scene.blend"))
from bl_ext.user_default.hearth import scene_snapshot
render = bpy.context.scene.render
pairs = []
for filepath in CFG["paths"]:
    render.filepath = filepath
    naming = scene_snapshot.frame_naming(bpy.context.scene)
    for frame in CFG["frames"]:
        pairs.append([render.frame_path(frame=frame), naming.path(frame, ".png")])
render.use_file_extension = False
render.filepath = "//render/shot_"
naming = scene_snapshot.frame_naming(bpy.context.scene)
pairs.append([render.frame_path(frame=7), naming.path(7, ".exr")])
result(pairs=pairs)
"""


def test_frame_names_follow_the_output_path(tmp_path: Path, addon_zip: Path) -> None:
    cfg = {"zip": str(addon_zip), "dir": str(tmp_path), "paths": OUTPUT_PATHS, "frames": FRAMES}
    out = run_session(_NAMING, cfg, tmp_path / "session")
    blender, ours = zip(*out["pairs"], strict=True)
    assert list(ours) == list(blender)
    assert str(tmp_path / "render" / "shot_0042.png") in ours
    assert str(tmp_path / "render" / "shot_0007") in ours, "no extension when File Extensions is off"

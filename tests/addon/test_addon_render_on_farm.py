"""The installed extension renders a textured scene from a script; frames land in the output path, match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.addon.blender_session import run_session
from tests.e2e.local_render import max_pixel_difference, render_locally
from tests.farm_harness import start_farm_process, stop_process
from tests.scenes import make_textured_scene

FRAMES = [1, 2, 3]
SAMPLES = 4

_SUBMIT = r"""
bpy.ops.wm.open_mainfile(filepath=CFG["blend"])
# An unsaved change: the add-on must submit the session, not the file on disk. Frames are named as Blender
# would name them: render.frame_path(frame=N), here render/shot_0001.png.
bpy.context.scene.render.filepath = "//render/shot_"
naming = [bpy.context.scene.render.frame_path(frame=f) for f in CFG["frame_list"]]
error = ""
try:
    bpy.ops.hearth.submit(frame_range=CFG["frames"], samples=CFG["samples"], wait=True)
except RuntimeError as exc:
    error = str(exc)
import render_client
from bl_ext.user_default.hearth.runner import RUNNER
s = RUNNER.state
first = dict(error=error, client=render_client.__file__, ok=s.ok, state=s.task_state, downloaded=s.downloaded,
             carbon=list(s.carbon), warnings=s.warnings, dirty=bpy.data.is_dirty, thread=s.thread_name,
             filepath=bpy.data.filepath)
bpy.ops.hearth.open_latest()
opened = [i.filepath for i in bpy.data.images if i.filepath == s.latest_frame]
# "Download results" fetches again what is missing locally.
os.remove(os.path.join(os.path.dirname(bpy.data.filepath), "render", "shot_0002.png"))
bpy.ops.hearth.download()
RUNNER.wait(60)
result(**first, opened=opened, naming=naming, redownloaded=RUNNER.state.downloaded[-1:],
       download_ok=RUNNER.state.ok)
"""


@pytest.mark.timeout(240)
def test_scripted_submit_downloads_frames_matching_a_local_render(tmp_path: Path, addon_zip: Path) -> None:
    blend = make_textured_scene(tmp_path / "user", samples=SAMPLES)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "user").rglob("*") if p.is_file()}
    process, ready = start_farm_process(tmp_path / "farm", nodes=2)
    try:
        token = json.loads(Path(ready["credentials"]).read_text())["token"]
        cfg = {
            "zip": str(addon_zip),
            "blend": str(blend),
            "frames": "1-3",
            "samples": SAMPLES,
            "frame_list": FRAMES,
        }
        out = run_session(_SUBMIT, cfg, tmp_path / "session", HEARTH_SERVER=ready["url"], HEARTH_TOKEN=token)
    finally:
        stop_process(process)

    assert out["error"] == "", out["log"]
    assert out["ok"] and out["state"] == "Success", out["log"]
    assert out["client"].startswith(str(tmp_path / "session" / "blender")), (
        "render_client must come from the wheel"
    )
    assert out["thread"] == "hearth-submit", "packing and network must run on the job's thread"
    assert out["filepath"] == str(blend) and out["dirty"], "the user's session must keep its file and edits"
    render_dir = tmp_path / "user" / "render"
    assert sorted(p.name for p in render_dir.glob("*.png")) == [f"shot_{f:04d}.png" for f in FRAMES]
    assert sorted(set(out["downloaded"])) == sorted(out["naming"]), "render.frame_path names"
    assert out["carbon"], "carbon facts should be shown once the job finishes"
    assert out["opened"], "Open Latest Frame should load the frame as an image"
    assert out["download_ok"] and out["redownloaded"] == [str(render_dir / "shot_0002.png")], out["log"]
    reference = render_locally(blend, FRAMES, tmp_path / "local", SAMPLES)
    for frame, path in reference.items():
        diff = max_pixel_difference(render_dir / f"shot_{frame:04d}.png", path)
        assert diff <= 2, f"frame {frame} differs from the local render by {diff}"
    after = {p: p.stat().st_mtime_ns for p in before}
    assert after == before, "the user's files were modified"

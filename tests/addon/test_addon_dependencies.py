"""Blender's dependency trace against the packer's: equal on the packing scene, warnings where they differ,
and a file only the packer finds missing stops the job before anything is uploaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import requests

from tests.addon.blender_session import run_session
from tests.client.scene_factory import Scene, make_scene
from tests.farm_harness import start_farm_process, stop_process

FARM_TIMEOUT_S = 10.0

_TRACES = r"""
import tempfile
from pathlib import Path
from bl_ext.user_default.hearth import scene_snapshot, submit
from render_client.packing import trace

def both_traces():
    snap = scene_snapshot.snapshot(bpy.context.scene).resolved()
    copy = scene_snapshot.save_copy(Path(tempfile.mkdtemp()))
    report = trace(copy)
    return {
        "blender": sorted(os.path.realpath(d.path) for d in snap.dependencies),
        "blender_missing": [d.path for d in snap.missing],
        "packer": sorted(os.path.realpath(f.source) for f in report.files if Path(f.source) != copy),
        "packer_missing": [str(m.path) for m in report.missing],
        "warnings": submit.cross_check(snap, report, copy),
    }

bpy.ops.wm.open_mainfile(filepath=CFG["blend"])
same = both_traces()
# An external text datablock: Blender lists it, the packer (BAT) does not carry texts.
notes = os.path.join(os.path.dirname(CFG["blend"]), "notes.py")
with open(notes, "w") as stream:
    stream.write("print('notes')\n")
bpy.data.texts.load(notes).use_fake_user = True
result(same=same, divergent=both_traces(), notes=notes)
"""

# An image kept in the library with a fake user and no file: nothing links it, so Blender never loads it,
# but the packer reads the whole library and reports the file missing.
_PACKER_ONLY_MISSING = r"""
bpy.ops.wm.open_mainfile(filepath=CFG["lib"])
unused = bpy.data.images.new("lib_unused", 4, 4)
unused.source, unused.filepath, unused.use_fake_user = "FILE", "//lib_missing.png", True
bpy.ops.wm.save_mainfile()
bpy.ops.wm.open_mainfile(filepath=CFG["blend"])
from bl_ext.user_default.hearth import scene_snapshot
blender_lists = [d.path for d in scene_snapshot.snapshot(bpy.context.scene).resolved().dependencies]
error = ""
try:
    bpy.ops.hearth.submit(frame_range="1", wait=True)
except RuntimeError as exc:
    error = str(exc)
from bl_ext.user_default.hearth.runner import RUNNER
result(error=error, missing=RUNNER.state.missing, blender_lists=blender_lists)
"""


def scene_files(scene: Scene) -> list[str]:
    files = [scene.abs_texture, scene.rel_texture, *scene.sequence, *scene.udim_tiles]
    return sorted(str(p.resolve()) for p in [*files, scene.lib_blend, scene.lib_texture])


def test_blender_and_the_packer_trace_the_same_files(tmp_path: Path, addon_zip: Path) -> None:
    scene = make_scene(tmp_path / "user")
    cfg = {"zip": str(addon_zip), "blend": str(scene.main_blend)}
    out = run_session(_TRACES, cfg, tmp_path / "session")

    same = out["same"]
    assert same["blender"] == same["packer"] == scene_files(scene), out["log"]
    assert len(scene.sequence) == 3 and len(scene.udim_tiles) == 2  # every frame, every tile
    assert same["warnings"] == [] and same["blender_missing"] == same["packer_missing"] == []
    divergent = out["divergent"]
    assert divergent["blender"] == sorted([*scene_files(scene), out["notes"]])
    assert divergent["packer"] == scene_files(scene)
    assert divergent["warnings"] == [
        f'Text "notes.py" uses {out["notes"]}, which the packer did not find; it will not be uploaded'
    ]


def farm_contents(ready: dict[str, Any]) -> tuple[list[str], list[Any]]:
    creds = json.loads(Path(ready["credentials"]).read_text())
    s3 = boto3.client(
        "s3", endpoint_url=ready["storage"], aws_access_key_id=creds["email"],
        aws_secret_access_key=creds["token"], region_name="us-east-1",
    )  # fmt: skip
    buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    headers = {"Authorization": creds["token"]}
    tasks = requests.get(ready["url"] + "/tasks", headers=headers, timeout=FARM_TIMEOUT_S).json()
    return buckets, tasks


def test_a_file_only_the_packer_finds_missing_stops_the_job_before_upload(
    tmp_path: Path, addon_zip: Path
) -> None:
    scene = make_scene(tmp_path / "user")
    process, ready = start_farm_process(tmp_path / "farm", nodes=0)
    try:
        token = json.loads(Path(ready["credentials"]).read_text())["token"]
        cfg = {"zip": str(addon_zip), "blend": str(scene.main_blend), "lib": str(scene.lib_blend)}
        env = {"HEARTH_SERVER": ready["url"], "HEARTH_TOKEN": token}
        out = run_session(_PACKER_ONLY_MISSING, cfg, tmp_path / "session", **env)
        buckets, tasks = farm_contents(ready)
    finally:
        stop_process(process)

    lost = scene.lib_blend.parent / "lib_missing.png"
    assert str(lost) not in out["blender_lists"], "Blender never loads the unused library image"
    assert "lib_missing.png" in out["error"] and "Nothing was uploaded" in out["error"], out["log"]
    assert [Path(p).name for p in out["missing"]] == ["lib_missing.png"], "the panel's Missing list"
    assert buckets == [] and tasks == [], f"the farm got {buckets} {tasks}"

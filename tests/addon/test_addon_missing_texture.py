"""A scene with a missing texture is refused with a clear message, and nothing reaches the farm."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from tests.addon.blender_session import run_session
from tests.client.scene_factory import make_scene
from tests.farm_harness import start_farm_process, stop_process

_SUBMIT = r"""
bpy.ops.wm.open_mainfile(filepath=CFG["blend"])
error = ""
try:
    bpy.ops.hearth.submit(frame_range="1", wait=True)
except RuntimeError as exc:
    error = str(exc)
from bl_ext.user_default.hearth.runner import RUNNER
result(error=error, missing=RUNNER.state.missing, status=RUNNER.state.status)
"""


def test_missing_texture_is_reported_and_nothing_is_uploaded(tmp_path: Path, addon_zip: Path) -> None:
    scene = make_scene(tmp_path / "user", missing=True)
    process, ready = start_farm_process(tmp_path / "farm", nodes=0)
    try:
        creds = json.loads(Path(ready["credentials"]).read_text())
        cfg = {"zip": str(addon_zip), "blend": str(scene.main_blend)}
        env = {"HEARTH_SERVER": ready["url"], "HEARTH_TOKEN": creds["token"]}
        out = run_session(_SUBMIT, cfg, tmp_path / "session", **env)
        s3 = boto3.client(
            "s3", endpoint_url=ready["storage"], aws_access_key_id=creds["email"],
            aws_secret_access_key=creds["token"], region_name="us-east-1",
        )  # fmt: skip
        buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
        tasks = json.loads(
            __import__("requests")
            .get(ready["url"] + "/tasks", headers={"Authorization": creds["token"]}, timeout=10)
            .text
        )
    finally:
        stop_process(process)

    print(out["error"])
    assert "missing" in out["error"] and "missing.png" in out["error"], out["log"]
    assert "nothing was uploaded" in out["error"]
    assert "Find Missing Files" in out["error"], "the message should say how to fix it"
    assert [Path(p).name for p in out["missing"]] == ["missing.png"], "the panel's Missing list"
    assert buckets == [], f"the farm got buckets: {buckets}"
    assert tasks == [], f"the farm got tasks: {tasks}"

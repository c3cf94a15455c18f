"""A token typed into the preferences goes to the keyring (or render_client's file) and the field empties."""

from __future__ import annotations

import json
from pathlib import Path

from render_client.credentials import store_token
from tests.addon.blender_session import run_session
from tests.farm_harness import start_farm_process, stop_process
from tests.scenes import make_textured_scene

_STORE = r"""
from render_client.credentials import load_token
from bl_ext.user_default.hearth import preferences
prefs = bpy.context.preferences.addons["bl_ext.user_default.hearth"].preferences
prefs.farm_url = "http://farm.example:8400/"
prefs.token_entry = "secret-token-123"
note = preferences.LOGIN_NOTE["text"]
result(field=prefs.token_entry, stored=load_token("http://farm.example:8400"), note=note)
"""


def test_token_is_stored_outside_the_preferences(tmp_path: Path, addon_zip: Path) -> None:
    out = run_session(_STORE, {"zip": str(addon_zip)}, tmp_path / "session")
    assert out["field"] == "", "the token must not stay in a saved preference"
    assert out["stored"] == "secret-token-123", out["log"]
    # Headless Linux has no keyring: render_client's 0600 file takes it, and the note says so.
    assert "keyring" in out["note"] or "not encrypted" in out["note"], out["note"]


_SUBMIT_WITH_APP_LOGIN = r"""
bpy.ops.wm.open_mainfile(filepath=CFG["blend"])
bpy.context.scene.render.filepath = "//render/"
bpy.context.preferences.addons["bl_ext.user_default.hearth"].preferences.farm_url = CFG["url"]
from bl_ext.user_default.hearth.runner import RUNNER
bpy.ops.hearth.submit(frame_range="1", wait=False)
deadline = time.monotonic() + 60
while not RUNNER.state.task_uuid and RUNNER.busy and time.monotonic() < deadline:
    RUNNER.drain(0.1)
RUNNER.cancel()
RUNNER.wait(60)
result(task=RUNNER.state.task_uuid, status=RUNNER.state.status, error=RUNNER.state.error)
"""


def test_submit_reuses_the_desktop_apps_login(tmp_path: Path, addon_zip: Path) -> None:
    blend = make_textured_scene(tmp_path / "user")
    process, ready = start_farm_process(tmp_path / "farm", nodes=0)
    try:
        token = json.loads(Path(ready["credentials"]).read_text())["token"]
        store_token(ready["url"], token)  # what the Hearth app's login does (same service and username)
        cfg = {"zip": str(addon_zip), "blend": str(blend), "url": ready["url"]}
        out = run_session(_SUBMIT_WITH_APP_LOGIN, cfg, tmp_path / "session")
    finally:
        stop_process(process)
    assert out["task"], f"{out['error']}\n{out['log']}"
    assert "Cancelled" in out["status"], out["status"]

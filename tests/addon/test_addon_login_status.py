"""The panel's login line: the token is found and the farm asked on a background thread, then shown."""

from __future__ import annotations

import json
from pathlib import Path

from tests.addon.blender_session import run_session
from tests.farm_harness import start_farm_process, stop_process

CHECK_DEADLINE_S = 60.0

_LOGIN = r"""
import threading
from bl_ext.user_default.hearth import panels
from bl_ext.user_default.hearth.runner import RUNNER, _tick

class Layout:  # no screen in background mode: record what the panel draws
    labels = []
    def __getattr__(self, name):
        def call(*args, **kwargs):
            if name == "label":
                Layout.labels.append((kwargs.get("text", ""), kwargs.get("icon", "")))
            return self
        return call

def draw():
    Layout.labels.clear()
    t0 = time.perf_counter()
    panel = type("Panel", (), {"layout": Layout(), "draw_state": panels.RENDER_PT_hearth.draw_state})()
    panels.RENDER_PT_hearth.draw(panel, bpy.context)
    return Layout.labels[0], (time.perf_counter() - t0) * 1000.0

def settle():
    deadline = time.monotonic() + CFG["deadline"]
    while (RUNNER.checking_login or not RUNNER.login_inbox.empty()) and time.monotonic() < deadline:
        RUNNER.login_job.thread.join(0.05)
        _tick()
    _tick()

lines, good_token = {}, os.environ["HEARTH_TOKEN"]
lines["first"], draw_ms = draw()
threads = [t.name for t in threading.enumerate()]
settle()
lines["good"], _ = draw()
os.environ["HEARTH_TOKEN"] = "not-a-valid-token"
bpy.ops.hearth.check_login()
settle()
lines["refused"], _ = draw()
del os.environ["HEARTH_TOKEN"]
bpy.ops.hearth.check_login()
settle()
lines["none"], _ = draw()
os.environ["HEARTH_TOKEN"] = good_token
os.environ["HEARTH_SERVER"] = "http://127.0.0.1:9"  # nothing listens on the discard port
settle()  # a new farm URL: the next draw starts a check by itself
draw()
settle()
lines["unreachable"], _ = draw()
result(lines=lines, draw_ms=draw_ms, threads=threads, state_text=RUNNER.state.login_text)
"""


def test_panel_shows_the_checked_login(tmp_path: Path, addon_zip: Path) -> None:
    process, ready = start_farm_process(tmp_path / "farm", nodes=0)
    try:
        creds = json.loads(Path(ready["credentials"]).read_text())
        env = {
            "HEARTH_SERVER": ready["url"],
            "HEARTH_TOKEN": creds["token"],
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        cfg = {"zip": str(addon_zip), "deadline": CHECK_DEADLINE_S}
        out = run_session(_LOGIN, cfg, tmp_path / "session", **env)
    finally:
        stop_process(process)

    lines = {name: tuple(line) for name, line in out["lines"].items()}
    print(lines, f"draw: {out['draw_ms']:.1f} ms")
    assert lines["first"] == (f"{ready['url']}: checking the login…", "TIME")
    assert "hearth-login" in out["threads"], "the check must run on its own thread"
    assert lines["good"] == (
        f"{ready['url']}: logged in as {creds['email']} (token from HEARTH_TOKEN)",
        "CHECKMARK",
    )
    assert lines["refused"][1] == "ERROR" and "token refused" in lines["refused"][0]
    assert lines["none"][1] == "ERROR" and "no token for" in lines["none"][0]
    unreachable, icon = lines["unreachable"]
    assert icon == "ERROR" and unreachable.startswith("http://127.0.0.1:9: ") and "token" not in unreachable
    assert out["draw_ms"] < 50.0, "drawing must not wait for the keyring or the network"

"""Interactive submit returns within 200 ms: saving the copy is all it does before a thread takes over."""

from __future__ import annotations

import json
from pathlib import Path

from tests.addon.blender_session import run_session
from tests.farm_harness import start_farm_process, stop_process
from tests.scenes import make_textured_scene

MAX_EXECUTE_MS = 200.0
SUBMIT_DEADLINE_S = 60.0

_SUBMIT = r"""
bpy.ops.wm.open_mainfile(filepath=CFG["blend"])
bpy.context.scene.render.filepath = "//render/"
from bl_ext.user_default.hearth.runner import RUNNER, _tick
timings, timer_registered = [], []
for _ in range(3):  # the first call also imports render_client and its wheels
    t0 = time.perf_counter()
    bpy.ops.hearth.submit(frame_range="1-3", wait=False)
    timings.append((time.perf_counter() - t0) * 1000.0)
    busy_after_return = RUNNER.busy
    timer_registered.append(bpy.app.timers.is_registered(_tick))
    # Background mode runs no event loop, so drive the UI timer by hand, as Blender would.
    deadline = time.monotonic() + CFG["deadline"]
    while not RUNNER.state.task_uuid and RUNNER.busy and time.monotonic() < deadline:
        _tick()
        RUNNER.job.thread.join(0.05)
    RUNNER.cancel()
    RUNNER.wait(60)
result(ms=timings, busy_after_return=busy_after_return, timer=timer_registered, task=RUNNER.state.task_uuid,
       thread=RUNNER.state.thread_name, status=RUNNER.state.status)
"""


def test_interactive_submit_returns_quickly(tmp_path: Path, addon_zip: Path) -> None:
    blend = make_textured_scene(tmp_path / "user")
    process, ready = start_farm_process(tmp_path / "farm", nodes=0)
    try:
        token = json.loads(Path(ready["credentials"]).read_text())["token"]
        cfg = {"zip": str(addon_zip), "blend": str(blend), "deadline": SUBMIT_DEADLINE_S}
        out = run_session(_SUBMIT, cfg, tmp_path / "session", HEARTH_SERVER=ready["url"], HEARTH_TOKEN=token)
    finally:
        stop_process(process)

    print(f"hearth.submit(wait=False) returned in {', '.join(f'{ms:.1f}' for ms in out['ms'])} ms")
    assert out["busy_after_return"], "the job should still be running on its thread when execute returns"
    assert out["task"], f"the thread should have submitted a task: {out['status']}\n{out['log']}"
    assert out["thread"] == "hearth-submit"
    assert all(out["timer"]), "the UI timer that drains the job's messages must be registered"
    assert max(out["ms"]) < MAX_EXECUTE_MS, out["ms"]

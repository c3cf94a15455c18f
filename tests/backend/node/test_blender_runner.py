"""Runner process handling against fake workers: crashes, hangs, and workers that ignore SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from backend.node.blender_runner import BlenderRunner, worker_command
from backend.node.worker_protocol import JobSpec, UnknownEvent, WorkerEvent

# Stands in for the interpreter: ignores the worker script and acts out FAKE_MODE.
FAKE_PYTHON = """#!{python}
import os, signal, sys, time
mode = "{mode}"
print('@@HEARTH {{"ev":"started","pid":%d,"blender":"fake"}}' % os.getpid(), flush=True)
if mode == "crash":
    print("Segmentation fault (core dumped)", file=sys.stderr, flush=True)
    sys.exit(139)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print('@@HEARTH {{"ev":"ignoring_sigterm"}}', flush=True)
    while True:
        print("still rendering", flush=True)
        time.sleep(0.05)
if mode == "silent":
    time.sleep(600)
"""


def fake_python(tmp_path: Path, mode: str) -> str:
    path = tmp_path / f"python-{mode}"
    path.write_text(FAKE_PYTHON.format(python=sys.executable, mode=mode))
    path.chmod(0o755)
    return str(path)


def spec(tmp_path: Path) -> JobSpec:
    return JobSpec(blend=tmp_path / "x.blend", output_dir=tmp_path / "out", frames=(1,))


def test_crash_without_error_event_reports_code_and_stderr(tmp_path: Path) -> None:
    result = BlenderRunner(spec(tmp_path), python=fake_python(tmp_path, "crash")).run()
    assert result.returncode == 139
    assert result.error is not None and "139" in result.error and "Segmentation" in result.error
    assert not result.ok


def test_sigkill_follows_an_ignored_sigterm_after_the_grace_period(tmp_path: Path) -> None:
    ignoring = threading.Event()

    def on_event(event: WorkerEvent) -> None:
        if isinstance(event, UnknownEvent) and event.ev == "ignoring_sigterm":
            ignoring.set()

    runner = BlenderRunner(spec(tmp_path), on_event, python=fake_python(tmp_path, "stubborn"), grace_s=0.5)
    box: dict[str, object] = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", runner.run()))
    thread.start()
    assert ignoring.wait(30)
    cancel_at = time.monotonic()
    runner.cancel()
    thread.join(20)
    assert not thread.is_alive()
    result = box["result"]
    assert getattr(result, "cancelled", False)
    assert getattr(result, "returncode", None) == -signal.SIGKILL
    assert time.monotonic() - cancel_at < 10


def test_stall_timeout_kills_a_silent_worker(tmp_path: Path) -> None:
    started = time.monotonic()
    result = BlenderRunner(spec(tmp_path), python=fake_python(tmp_path, "silent"), stall_timeout_s=1.0).run()
    assert time.monotonic() - started < 15
    assert result.returncode == -signal.SIGKILL
    assert result.error is not None and "no output" in result.error


def test_worker_command_shapes(tmp_path: Path) -> None:
    spec_path = tmp_path / "job.json"
    bpy_cmd = worker_command(spec_path, python="/venv/bin/python")
    assert bpy_cmd[0] == "/venv/bin/python" and bpy_cmd[-2:] == ["--", str(spec_path)]
    blender_cmd = worker_command(spec_path, blender="/opt/blender/blender")
    assert blender_cmd[:2] == ["/opt/blender/blender", "-b"]
    assert "--python-exit-code" in blender_cmd and blender_cmd[-2:] == ["--", str(spec_path)]

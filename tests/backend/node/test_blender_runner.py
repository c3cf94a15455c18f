"""Runner process handling against fake workers: crashes, hangs, and workers that ignore SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from backend.node.blender_runner import FAILURE_TAIL_LINES, BlenderRunner, BlenderSession, worker_command
from backend.node.worker_protocol import DraftEnd, JobSpec, Progress, UnknownEvent, WorkerEvent

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
if mode == "chatty":
    for i in range(100):
        print("", flush=True)
        print('@@HEARTH {{"ev":"progress","frame":1,"done":1,"total":2,"percent":50.0}}', flush=True)
        print("out %d" % i, flush=True)
        print("err %d" % i, file=sys.stderr, flush=True)
    sys.exit(1)
if mode == "draft34":
    # Blender 3.4: handlers get no text, so progress comes from `Fra:` lines, the draft's included.
    print('@@HEARTH {{"ev":"draft_start","frame":1}}', flush=True)
    print("Fra:1 Mem:1M (Peak 1M) | Time:00:00.01 | Scene, ViewLayer | Sample 1/1", flush=True)
    print('@@HEARTH {{"ev":"draft_end","frame":1,"ok":true,"secs":0.01}}', flush=True)
    print("Fra:1 Mem:1M (Peak 1M) | Time:00:00.02 | Scene, ViewLayer | Sample 3/16", flush=True)
    sys.exit(1)
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


def test_a_failed_frame_carries_the_workers_output_tails(tmp_path: Path) -> None:
    with BlenderSession(spec(tmp_path), python=fake_python(tmp_path, "crash")) as session:
        outcome = session.render(1, timeout_s=30)
    assert outcome.error is not None and "139" in outcome.error
    assert outcome.stderr_tail == ("Segmentation fault (core dumped)",)
    assert any('"started"' in line for line in outcome.stdout_tail)


def test_output_tails_keep_the_last_lines_without_blanks_or_progress(tmp_path: Path) -> None:
    with BlenderSession(spec(tmp_path), python=fake_python(tmp_path, "chatty")) as session:
        outcome = session.render(1, timeout_s=30)
    assert outcome.error is not None
    assert outcome.stdout_tail == tuple(f"out {i}" for i in range(100 - FAILURE_TAIL_LINES, 100))
    assert outcome.stderr_tail == tuple(f"err {i}" for i in range(100 - FAILURE_TAIL_LINES, 100))


def test_blender_status_lines_of_a_draft_are_not_frame_progress(tmp_path: Path) -> None:
    events: list[WorkerEvent] = []
    BlenderRunner(spec(tmp_path), events.append, python=fake_python(tmp_path, "draft34")).run()
    assert [(e.done, e.total) for e in events if isinstance(e, Progress)] == [(3, 16)]
    assert [e for e in events if isinstance(e, DraftEnd)] == [DraftEnd(frame=1, ok=True, secs=0.01)]


def test_split_modules_keep_the_old_imports_working() -> None:
    from backend.node import blender_runner, worker_process

    assert blender_runner.WorkerProcess is worker_process.WorkerProcess
    assert blender_runner.worker_command is worker_process.worker_command
    assert blender_runner.WORKER_SCRIPT.name == "worker.py" and blender_runner.WORKER_SCRIPT.is_file()

"""Renders tiny generated scenes through blender_runner + worker.py in real Blender subprocesses."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from backend.node.blender_runner import WORKER_SCRIPT, BlenderRunner, BlenderSession, ProcessModel
from backend.node.meters import FrameEnergy, ProcessCpuTime, meter_for_process
from backend.node.worker_protocol import (
    Finished,
    FrameDone,
    FrameSkipped,
    FrameStart,
    Idle,
    JobSpec,
    Preview,
    PreviewSettings,
    Progress,
    Started,
    WorkerError,
    WorkerEvent,
    parse_line,
)
from tests.backend.render.conftest import Recorder, assert_texture_rendered, spec_for

ERROR_DEADLINE_S = 20.0
CANCEL_DEADLINE_S = 10.0
# Enough samples that a frame outlives any test: cancelling must interrupt it, not wait for it.
ENDLESS_SAMPLES = 1_000_000


def test_persistent_worker_renders_frames_with_progress_and_previews(blend: Path, tmp_path: Path) -> None:
    rec = Recorder()
    out = tmp_path / "out"
    result = BlenderRunner(spec_for(blend, out, (1, 2, 3), samples=8), rec).run()

    assert result.ok, (result.error, result.stderr_tail[-10:])
    assert result.returncode == 0
    assert result.processes == 1
    assert sorted(result.frames_done) == [1, 2, 3]
    for frame in (1, 2, 3):
        with Image.open(out / f"frame_{frame:04d}.png") as img:
            img.load()
            assert img.size == (64, 36)
    assert_texture_rendered(out / "frame_0001.png")
    assert not list(out.glob(".*partial*")), "partial files must be renamed away"
    progress = [e for e in rec.events if isinstance(e, Progress)]
    assert progress and all(p.total == 8 for p in progress)
    assert any(p.done == 8 and p.percent == 100.0 for p in progress)
    done = [e for e in rec.events if isinstance(e, FrameDone)]
    assert done[0].thumbnail is not None
    with Image.open(done[0].thumbnail) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) <= 512
    previews = rec.of(Preview)
    assert previews, "at least one preview event"
    assert isinstance(rec.events[0], Started)
    assert isinstance(rec.events[-1], Finished)


def test_per_frame_model_uses_one_process_per_frame(blend: Path, tmp_path: Path) -> None:
    result = BlenderRunner(spec_for(blend, tmp_path, (2, 4)), model=ProcessModel.PER_FRAME).run()
    assert result.ok, result.error
    assert result.processes == 2
    assert sorted(result.frames_done) == [2, 4]
    assert (tmp_path / "frame_0004.png").is_file()


def test_thumbnail_is_capped_to_max_preview_size(blend: Path, tmp_path: Path) -> None:
    spec = spec_for(blend, tmp_path, (1,))
    spec = JobSpec(**{**spec.__dict__, "preview": PreviewSettings(dir=tmp_path / "p", max_size_px=16)})
    rec = Recorder()
    assert BlenderRunner(spec, rec).run().ok
    done = rec.of(FrameDone)[0]
    assert done.thumbnail is not None
    with Image.open(done.thumbnail) as thumb:
        assert thumb.size == (16, 9)


def _expect_error(spec: JobSpec, needle: str) -> None:
    rec = Recorder()
    started = time.monotonic()
    result = BlenderRunner(spec, rec).run()
    assert time.monotonic() - started < ERROR_DEADLINE_S
    assert result.returncode not in (0, None)
    errors = [e for e in rec.events if isinstance(e, WorkerError)]
    assert errors and needle in errors[0].message, errors
    assert result.error == errors[0].message
    assert not result.ok


def test_missing_blend_gives_error_event_and_nonzero_exit(tmp_path: Path) -> None:
    _expect_error(spec_for(tmp_path / "nope.blend", tmp_path / "o", (1,)), "not found")


def test_corrupt_blend_gives_error_event_and_nonzero_exit(blend: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.blend"
    bad.write_bytes(blend.read_bytes()[:4000])
    _expect_error(spec_for(bad, tmp_path / "o", (1,)), "cannot open")
    junk = tmp_path / "junk.blend"
    junk.write_bytes(b"this is not a blend file at all" * 50)
    _expect_error(spec_for(junk, tmp_path / "o", (1,)), "cannot open")


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("scene", "NoSuchScene", "unknown scene"),
        ("camera", "Cube", "unknown camera"),
        ("engine", "NOT_AN_ENGINE", "unknown render engine"),
    ],
)
def test_bad_scene_settings_give_clear_errors(
    blend: Path, tmp_path: Path, field: str, value: str, needle: str
) -> None:
    spec = spec_for(blend, tmp_path, (1,))
    _expect_error(JobSpec(**{**spec.__dict__, field: value}), needle)


def test_cancel_stops_a_rendering_worker_promptly(blend: Path, tmp_path: Path) -> None:
    rec = Recorder()
    runner = BlenderRunner(spec_for(blend, tmp_path, (1, 2), samples=ENDLESS_SAMPLES), rec, grace_s=2.0)
    rec.hooks.append(lambda e: runner.cancel() if isinstance(e, Progress) else None)
    started = time.monotonic()
    result = runner.run()
    assert time.monotonic() - started < CANCEL_DEADLINE_S + 5
    assert result.cancelled
    assert result.returncode is not None and result.returncode < 0  # killed by SIGTERM
    assert result.frames_done == []
    assert not (tmp_path / "frame_0001.png").exists()


def test_cancel_frame_kills_current_frame_and_skips_pending(blend: Path, tmp_path: Path) -> None:
    rec = Recorder()
    runner = BlenderRunner(spec_for(blend, tmp_path, (1, 2, 3), samples=ENDLESS_SAMPLES), rec, grace_s=2.0)

    def on_event(event: WorkerEvent) -> None:
        if isinstance(event, FrameStart) and event.frame == 1:
            runner.cancel_frame(3)  # pending: skipped without a render
            runner.cancel_frame(1)  # rendering: its worker dies, frame 2 goes on in a new one
        elif isinstance(event, FrameStart) and event.frame == 2:
            runner.cancel()

    rec.hooks.append(on_event)
    result = runner.run()
    assert result.cancelled
    assert result.processes == 2
    assert sorted(result.frames_skipped) == [1, 3]
    assert result.frames_done == []


def test_pending_frame_is_skipped_by_the_persistent_worker(blend: Path, tmp_path: Path) -> None:
    rec = Recorder()
    runner = BlenderRunner(spec_for(blend, tmp_path, (1, 2, 3)), rec)
    rec.hooks.append(lambda e: runner.cancel_frame(2) if isinstance(e, Started) else None)
    result = runner.run()
    assert result.ok, result.error
    assert result.processes == 1
    assert sorted(result.frames_done) == [1, 3]
    assert result.frames_skipped == [2]
    assert [e.frame for e in rec.of(FrameSkipped)] == [2]
    assert not (tmp_path / "frame_0002.png").exists()


@pytest.mark.parametrize("image_format", ["OPEN_EXR", "OPEN_EXR_MULTILAYER"])
def test_worker_reads_spec_from_stdin_and_writes_exr(blend: Path, tmp_path: Path, image_format: str) -> None:
    spec = spec_for(blend, tmp_path, (1,), format=image_format)
    proc = subprocess.run(
        [sys.executable, str(WORKER_SCRIPT), "--", "-"],
        input=spec.to_json(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    events = [e for e in map(parse_line, proc.stdout.splitlines()) if e is not None]
    done = [e for e in events if isinstance(e, FrameDone)]
    assert done and done[0].path == tmp_path / "frame_0001.exr"
    assert done[0].path.read_bytes()[:4] == b"v/1\x01"  # OpenEXR magic


@pytest.mark.skipif(shutil.which("blender") is None, reason="no blender executable on PATH")
def test_blender_binary_runs_the_same_worker(blend: Path, tmp_path: Path) -> None:
    # Debian's 3.4 cannot open files saved by 5.0: this only checks the command line and the error path.
    rec = Recorder()
    result = BlenderRunner(spec_for(tmp_path / "missing.blend", tmp_path, (1,)), rec, blender="blender").run()
    assert isinstance(rec.events[0], Started)
    assert result.returncode not in (0, None)
    assert result.error is not None and "not found" in result.error


FAKE_BLENDER = """#!{python}
# Stands in for `blender`: checks the command line, then runs the script the way Blender does,
# with Blender's whole command line left in sys.argv.
import runpy, sys
args = sys.argv[1:]
assert args[:5] == ["-b", "--factory-startup", "--python-exit-code", "3", "--python"], args
assert args[6] == "--", args
print("Fra:1 Mem:11.44M (Peak 11.44M) | Time:00:00.04 | Scene, ViewLayer | Sample 1/16", flush=True)
runpy.run_path(args[5], run_name="__main__")
"""


def test_blender_command_line_and_argv_after_double_dash(blend: Path, tmp_path: Path) -> None:
    fake = tmp_path / "blender"
    fake.write_text(FAKE_BLENDER.format(python=sys.executable))
    fake.chmod(0o755)
    rec = Recorder()
    result = BlenderRunner(spec_for(blend, tmp_path / "out", (1,)), rec, blender=str(fake)).run()
    assert result.ok, (result.error, result.stderr_tail[-10:])
    assert result.frames_done == [1]
    # The status line parsed on the node side came first, then the worker's own progress.
    first = rec.of(Progress)[0]
    assert (first.done, first.total) == (1, 16)


def test_session_renders_claimed_frames_in_one_warm_worker(blend: Path, tmp_path: Path) -> None:
    rec = Recorder()
    with BlenderSession(spec_for(blend, tmp_path, ()), rec) as session:
        pid = session.start()
        assert pid is not None
        cpu = ProcessCpuTime(pid)
        cpu_before = cpu()
        energy = FrameEnergy(meter_for_process(pid, rapl_root=tmp_path / "no-rapl"))
        energy.start()
        outcomes = [session.render(frame, timeout_s=60) for frame in (3, 1, 2)]
        reading = energy.stop()
        assert cpu() > cpu_before  # the model meter follows the worker's own CPU time
        assert session.processes == 1
    assert reading.method == "tdp-model" and reading.joules > 0 and reading.seconds > 0
    assert [o.ok for o in outcomes] == [True, True, True]
    assert [o.done.frame for o in outcomes if o.done] == [3, 1, 2]
    for frame in (1, 2, 3):
        assert (tmp_path / f"frame_{frame:04d}.png").is_file()
    assert rec.of(Idle), "a serving worker announces when it waits for frames"


def test_session_cancel_frame_interrupts_the_render(blend: Path, tmp_path: Path) -> None:
    rec = Recorder()
    session = BlenderSession(spec_for(blend, tmp_path, (), samples=ENDLESS_SAMPLES), rec, grace_s=2.0)
    rec.hooks.append(lambda e: session.cancel_frame() if isinstance(e, Progress) else None)
    started = time.monotonic()
    outcome = session.render(1)
    assert outcome.cancelled and not outcome.ok
    assert time.monotonic() - started < CANCEL_DEADLINE_S + 5
    assert session.pid is None  # the killed worker is reaped; a next render would start a new one
    assert session.close() is None
    assert not (tmp_path / "frame_0001.png").exists()


def test_session_reports_a_broken_blend_as_a_frame_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.blend"
    junk.write_bytes(b"BLENDER-v304" + b"\0" * 100)
    with BlenderSession(spec_for(junk, tmp_path, ())) as session:
        outcome = session.render(1, timeout_s=60)
    assert outcome.error is not None and "cannot open" in outcome.error
    # The worker's own words travel with the failure, for the task's stdout/stderr.
    assert any("cannot open" in line for line in outcome.stdout_tail), outcome.stdout_tail
    assert all(line.strip() for line in outcome.stdout_tail)
    assert isinstance(outcome.stderr_tail, tuple)


def test_session_recovers_after_a_cancelled_frame(blend: Path, tmp_path: Path) -> None:
    rec = Recorder()
    session = BlenderSession(spec_for(blend, tmp_path, ()), rec, grace_s=2.0)
    rec.hooks.append(lambda e: session.cancel_frame() if isinstance(e, FrameStart) and e.frame == 2 else None)
    with session:
        assert session.render(1, timeout_s=60).ok
        session.cancel_frame()  # between frames: nothing to cancel, the warm worker stays
        second = session.render(2, timeout_s=60)
        # Frame 2 may finish before the kill lands; either way the next frame must render cleanly.
        third = session.render(3, timeout_s=60)
    assert second.cancelled or second.ok
    assert third.ok, third.error
    assert session.processes == 2  # the cancelled worker is never reused, even if its frame finished

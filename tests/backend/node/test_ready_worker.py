"""ReadyWorker: a real bpy worker started before its job, handed a task's spec, and let go cleanly."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from backend.node.blender_runner import BlenderSession
from backend.node.ready_worker import ReadyWorker
from backend.node.worker_process import READY_PROCESS_NAME, RENDER_PROCESS_NAME, WorkerProcess
from backend.node.worker_protocol import FrameDone, Started
from tests.backend.render.conftest import Recorder, assert_texture_rendered, blend, spec_for
from tests.e2e.farm_client import process_name, running, wait_until

__all__ = ["blend"]  # the session-scoped scene fixture, shared with the render tests


def test_a_session_renders_in_the_worker_started_ahead_of_it(blend: Path, tmp_path: Path) -> None:
    ready = ReadyWorker()
    try:
        ready.prepare()
        waiting = ready.pid
        assert waiting is not None
        # Once Blender is up, `ps` tells it is idle.
        wait_until(lambda: process_name(waiting) == READY_PROCESS_NAME, 60, "the worker to wait for work")
        rec = Recorder()
        with BlenderSession(spec_for(blend, tmp_path, ()), rec, ready=ready) as session:
            outcome = session.render(2, timeout_s=60)
            assert session.pid == waiting and session.processes == 1
            assert ready.pid is None  # taken: the next task starts Blender unless prepared again
            assert process_name(waiting) == RENDER_PROCESS_NAME
        assert outcome.ok, outcome.error
        assert isinstance(outcome.done, FrameDone)
        assert_texture_rendered(tmp_path / "frame_0002.png")
    finally:
        ready.close()


def test_prepare_keeps_one_live_worker_and_replaces_a_dead_one() -> None:
    ready = ReadyWorker()
    try:
        ready.prepare()
        first = ready.pid
        ready.prepare()
        assert ready.pid == first
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: not running(first), 10, "the killed worker to die")
        ready.prepare()  # reaps the dead one
        assert ready.pid not in (None, first)
    finally:
        ready.close()
    assert ready.pid is None


def test_a_worker_started_for_another_blender_is_not_taken(blend: Path, tmp_path: Path) -> None:
    ready = ReadyWorker()
    try:
        ready.prepare()
        waiting = ready.pid
        taken = ready.take(spec_for(blend, tmp_path, ()), Recorder(), blender="/opt/blender/blender")
        assert taken is None and ready.pid == waiting
    finally:
        ready.close()


def test_a_waiting_worker_told_to_quit_exits_cleanly_without_a_job() -> None:
    rec = Recorder()
    proc = WorkerProcess(None, rec)
    proc.start_waiting()
    rec.wait_for(lambda e: isinstance(e, Started), timeout_s=60)  # Blender is up, waiting for `spec`
    assert proc.quit(grace_s=10) == 0
    assert not proc.assign(spec_for(Path("scene.blend"), Path("out"), ()), rec)

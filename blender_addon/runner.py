"""Main-thread side of background jobs: one message queue, drained by a bpy.app.timers callback or a wait."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any, Protocol

import bpy

from . import messages as msg
from .job_state import JobState

DRAIN_INTERVAL_S = 0.2
WAIT_POLL_S = 0.1


class BackgroundJob(Protocol):
    cancel: Any
    thread: Any

    def start(self) -> None: ...


MakeJob = Callable[[Callable[[msg.Message], None]], BackgroundJob]


class Runner:
    """Holds at most one job; its thread posts messages, only the main thread folds them into `state`."""

    def __init__(self) -> None:
        self.inbox: queue.Queue[msg.Message] = queue.Queue()
        self.state = JobState()
        self.job: BackgroundJob | None = None
        self.last_login: Any = None  # FarmLogin of the last job, for "Download results"
        self.last_output_dir = ""
        # The login check runs beside jobs, on its own thread and queue, so it never delays a submit.
        self.login_inbox: queue.Queue[msg.Message] = queue.Queue()
        self.login_job: BackgroundJob | None = None
        self.login_asked = ""  # the farm the running or last check is for

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.thread.is_alive()

    def start(self, make_job: MakeJob, keep: bool = False) -> None:
        # A fresh queue per job: a late message of an earlier job cannot reach the new state.
        self.inbox = queue.Queue()
        if not keep:
            old, self.state = self.state, JobState()
            self.state.login_server, self.state.login_ok = old.login_server, old.login_ok
            self.state.login_text = old.login_text
        self.state.running, self.state.ok, self.state.error = True, None, ""
        self.state.status = "Starting in the background"
        self.job = make_job(self.inbox.put)
        self.job.start()
        _ensure_timer()

    @property
    def checking_login(self) -> bool:
        return self.login_job is not None and self.login_job.thread.is_alive()

    def check_login(
        self,
        server: str,
        make_job: MakeJob,
        force: bool = False,
    ) -> None:
        """Starts a login check for `server` unless one ran or runs for it already (the panel calls this)."""
        if self.checking_login or (server == self.login_asked and not force):
            return
        self.login_asked = server
        self.login_job = make_job(self.login_inbox.put)
        self.login_job.start()
        _ensure_timer()

    def drain(self, timeout_s: float = 0.0) -> bool:
        """Applies every queued message; waits up to `timeout_s` for the first one. True if any arrived."""
        got = False
        while not self.login_inbox.empty():
            self.state.apply(self.login_inbox.get_nowait())
            got = True
        try:
            message = self.inbox.get(timeout=timeout_s) if timeout_s > 0 else self.inbox.get_nowait()
        except queue.Empty:
            return got
        while True:
            self.state.apply(message)
            got = True
            try:
                message = self.inbox.get_nowait()
            except queue.Empty:
                return got

    def wait(self, timeout_s: float | None = None) -> bool:
        """Blocks the main thread until the job ends (scripted, background use); False on timeout."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while self.job is not None and self.job.thread.is_alive():
            self.drain(WAIT_POLL_S)
            if deadline is not None and time.monotonic() > deadline:
                return False
        if self.job is not None:
            self.job.thread.join()
        self.drain()
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.state.status = "Cancelling"


RUNNER = Runner()


def _redraw() -> None:
    wm = getattr(bpy.context, "window_manager", None)
    for window in wm.windows if wm else ():
        for area in window.screen.areas:
            if area.type in {"PROPERTIES", "IMAGE_EDITOR"}:
                area.tag_redraw()


def _ensure_timer() -> None:
    if not bpy.app.timers.is_registered(_tick):
        bpy.app.timers.register(_tick, first_interval=DRAIN_INTERVAL_S, persistent=True)


def _tick() -> float | None:
    """Timer callback: fold messages into the state, redraw, stop once the jobs are over and drained."""
    if RUNNER.drain():
        _redraw()
    if RUNNER.busy or RUNNER.checking_login or not (RUNNER.inbox.empty() and RUNNER.login_inbox.empty()):
        return DRAIN_INTERVAL_S
    return None


def unregister() -> None:
    RUNNER.cancel()
    if bpy.app.timers.is_registered(_tick):
        bpy.app.timers.unregister(_tick)

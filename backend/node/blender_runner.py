"""Renders job specs in Blender worker processes: BlenderRunner for frame lists, BlenderSession per task."""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from backend.node.ready_worker import ReadyWorker
from backend.node.worker_process import (
    DEFAULT_GRACE_S,
    POLL_S,
    WORKER_SCRIPT,
    EventCallback,
    WorkerProcess,
    worker_command,
)
from backend.node.worker_protocol import (
    FrameDone,
    FrameSkipped,
    FrameStart,
    JobSpec,
    WorkerError,
    WorkerEvent,
)

__all__ = [
    "DEFAULT_GRACE_S",
    "FAILURE_TAIL_LINES",
    "WORKER_SCRIPT",
    "BlenderRunner",
    "BlenderSession",
    "EventCallback",
    "FrameOutcome",
    "ProcessModel",
    "RunResult",
    "WorkerProcess",
    "worker_command",
]

# Lines of each stream a failed frame carries, for the task's stdout/stderr.
FAILURE_TAIL_LINES = 60


class ProcessModel(enum.Enum):
    # Measured in bench/worker_process_model.py: one process for the whole frame list is faster
    # because Blender start-up and .blend loading are paid once.
    PERSISTENT = "persistent"
    PER_FRAME = "per_frame"


@dataclass
class RunResult:
    """`returncode` is the last worker's; it is negative when we killed it (cancel or frame cancel)."""

    returncode: int | None
    cancelled: bool
    frames_done: list[int] = field(default_factory=list)
    frames_skipped: list[int] = field(default_factory=list)
    error: str | None = None
    stdout_tail: list[str] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)
    processes: int = 0

    @property
    def ok(self) -> bool:
        return not self.cancelled and self.error is None


class BlenderRunner:
    """Renders a job spec's frames in one persistent worker (default) or one worker per frame.

    `run()` blocks; `cancel()` and `cancel_frame()` may be called from any thread. A cancelled frame
    that has not started is skipped; one that is rendering kills its worker and the remaining frames
    continue in a fresh one.
    """

    def __init__(
        self,
        spec: JobSpec,
        on_event: EventCallback | None = None,
        *,
        model: ProcessModel = ProcessModel.PERSISTENT,
        blender: str | None = None,
        python: str | None = None,
        grace_s: float = DEFAULT_GRACE_S,
        stall_timeout_s: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self._on_event = on_event
        self._model = model
        self._blender = blender
        self._python = python
        self._grace_s = grace_s
        self._stall_timeout_s = stall_timeout_s
        self._env = env
        self._lock = threading.Lock()
        self._proc: WorkerProcess | None = None
        self._current_frame: int | None = None
        self._done: list[int] = []
        self._skipped: list[int] = []
        self._cancel_requested: set[int] = set()
        self._cancelled = False
        self._frame_killed = False
        self._error: str | None = None

    @property
    def current_pid(self) -> int | None:
        with self._lock:
            return self._proc.pid if self._proc is not None else None

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            proc = self._proc
        if proc is not None:
            proc.terminate(self._grace_s)

    def cancel_frame(self, frame: int) -> None:
        with self._lock:
            if frame in self._done or frame in self._skipped:
                return
            self._cancel_requested.add(frame)
            proc = self._proc
            rendering = frame == self._current_frame
            if rendering:
                self._frame_killed = True
        if proc is None:
            return
        if rendering:
            proc.terminate(self._grace_s)
        elif self._model is ProcessModel.PERSISTENT:
            proc.skip(frame)

    def _handle(self, event: WorkerEvent) -> None:
        with self._lock:
            if isinstance(event, FrameStart):
                self._current_frame = event.frame
            elif isinstance(event, FrameDone):
                self._done.append(event.frame)
                self._current_frame = None
            elif isinstance(event, FrameSkipped):
                self._skipped.append(event.frame)
            elif isinstance(event, WorkerError) and self._error is None:
                self._error = event.message
        if self._on_event is not None:
            self._on_event(event)

    def _skip_locally(self, frame: int) -> None:
        # The worker never saw this frame (or died rendering it): report the skip ourselves.
        if frame not in self._skipped:
            self._handle(FrameSkipped(frame=frame))

    def _pending(self) -> list[int]:
        with self._lock:
            finished = set(self._done) | set(self._skipped)
            cancelled = self._cancel_requested - finished
        for frame in cancelled:
            self._skip_locally(frame)
        with self._lock:
            finished = set(self._done) | set(self._skipped)
        return [f for f in self.spec.frames if f not in finished]

    def run(self) -> RunResult:
        result = RunResult(returncode=None, cancelled=False)
        control = "stdin" if self._model is ProcessModel.PERSISTENT else None
        while True:
            pending = self._pending()
            with self._lock:
                if self._cancelled or not pending or self._error is not None:
                    break
                self._frame_killed = False
                self._current_frame = None
            batch = pending if self._model is ProcessModel.PERSISTENT else pending[:1]
            proc = WorkerProcess(
                replace(self.spec, frames=tuple(batch), control=control),
                self._handle,
                blender=self._blender,
                python=self._python,
                env=self._env,
            )
            with self._lock:
                if self._cancelled:
                    break
                self._proc = proc
                proc.start()
            rc = proc.wait(self._stall_timeout_s)
            result.processes += 1
            result.returncode = rc
            result.stdout_tail = list(proc.stdout_tail)
            result.stderr_tail = list(proc.stderr_tail)
            with self._lock:
                self._proc = None
                killed_for_frame = self._frame_killed
                if rc != 0 and not self._cancelled and not killed_for_frame and self._error is None:
                    last = result.stderr_tail[-1] if result.stderr_tail else "no output"
                    self._error = f"worker exited with code {rc}: {last}"
        with self._lock:
            result.cancelled = self._cancelled
            result.frames_done = list(self._done)
            result.frames_skipped = list(self._skipped)
            result.error = self._error
        return result


@dataclass(frozen=True)
class FrameOutcome:
    """How one `BlenderSession.render()` ended; a failed frame carries the worker's last output lines."""

    frame: int
    done: FrameDone | None = None
    error: str | None = None
    cancelled: bool = False
    stdout_tail: tuple[str, ...] = ()
    stderr_tail: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.done is not None


class BlenderSession:
    """One warm worker for a task: the .blend is opened once and frames render as the node claims them.

    The worker comes from `ready` (a Blender already started) when it has one, else it is started.

    Use from one thread: `render(frame)` blocks until the frame is done; `cancel_frame()` (any thread)
    kills the frame being rendered, and the next `render()` starts a fresh worker.
    """

    def __init__(
        self,
        spec: JobSpec,
        on_event: EventCallback | None = None,
        *,
        blender: str | None = None,
        python: str | None = None,
        grace_s: float = DEFAULT_GRACE_S,
        env: Mapping[str, str] | None = None,
        ready: ReadyWorker | None = None,
    ) -> None:
        self.spec = replace(spec, frames=(), serve=True, control=None)
        self._ready = ready
        self._on_event = on_event
        self._blender = blender
        self._python = python
        self._grace_s = grace_s
        self._env = env
        self._cond = threading.Condition()
        self._proc: WorkerProcess | None = None
        self._results: dict[int, FrameDone] = {}
        self._error: str | None = None
        self._cancelled = False
        self._rendering: int | None = None
        self._doomed = False
        self.processes = 0

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    def __enter__(self) -> BlenderSession:
        return self

    def start(self) -> int | None:
        """Starts the worker now (it otherwise starts on the first render); returns its pid for meters."""
        return self._worker().pid

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(self, event: WorkerEvent) -> None:
        with self._cond:
            if isinstance(event, FrameDone):
                self._results[event.frame] = event
            elif isinstance(event, WorkerError) and self._error is None:
                self._error = event.message
            self._cond.notify_all()
        if self._on_event is not None:
            self._on_event(event)

    def _worker(self) -> WorkerProcess:
        with self._cond:
            doomed, self._doomed = self._doomed, False
        if self._proc is not None and self._proc.poll() is None and not doomed:
            return self._proc
        self._reap()  # a worker we signalled may still be dying: wait for it, never reuse it
        with self._cond:
            self._error = None
        proc = None
        if self._ready is not None:
            proc = self._ready.take(
                self.spec, self._handle, blender=self._blender, python=self._python, env=self._env
            )
        if proc is None:
            proc = WorkerProcess(
                self.spec, self._handle, blender=self._blender, python=self._python, env=self._env
            )
            proc.start()
        self._proc = proc
        self.processes += 1
        return proc

    def _reap(self) -> int | None:
        proc, self._proc = self._proc, None
        return proc.wait() if proc is not None else None

    def render(self, frame: int, timeout_s: float | None = None) -> FrameOutcome:
        proc = self._worker()
        with self._cond:
            self._cancelled = False
            self._rendering = frame
        proc.send(f"frame {frame}")
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        outcome: FrameOutcome | None = None
        while outcome is None:
            exited = proc.poll() is not None
            if exited:
                proc.wait()  # joins the readers, so the worker's last events are in
            with self._cond:
                outcome = self._outcome(frame, proc, deadline, exited)
                if outcome is None:
                    self._cond.wait(POLL_S)
                else:
                    self._rendering = None
        if not outcome.ok:
            # A failed or cancelled frame leaves the worker in an unknown state; the next gets a fresh one.
            proc.terminate(self._grace_s)
            self._reap()
        if outcome.error is not None:
            # Reaped, so the readers have seen the worker's last words.
            stdout_tail, stderr_tail = proc.tails(FAILURE_TAIL_LINES)
            outcome = replace(outcome, stdout_tail=stdout_tail, stderr_tail=stderr_tail)
        return outcome

    def _outcome(
        self, frame: int, proc: WorkerProcess, deadline: float | None, exited: bool
    ) -> FrameOutcome | None:
        if frame in self._results:
            return FrameOutcome(frame, done=self._results.pop(frame))
        if self._cancelled:
            return FrameOutcome(frame, cancelled=True)
        if self._error is not None:
            return FrameOutcome(frame, error=self._error)
        if exited:
            return FrameOutcome(frame, error=f"worker exited with code {proc.poll()}")
        if deadline is not None and time.monotonic() > deadline:
            return FrameOutcome(frame, error=f"frame {frame} did not finish in time")
        return None

    def cancel_frame(self) -> None:
        """Kills the frame being rendered; does nothing between frames."""
        with self._cond:
            if self._rendering is None:
                return
            self._cancelled = True
            self._doomed = True
            proc = self._proc
            self._cond.notify_all()
        if proc is not None:
            proc.terminate(self._grace_s)

    def close(self) -> int | None:
        """Lets the worker exit cleanly (`quit`), killing it if it does not within the grace period."""
        proc, self._proc = self._proc, None
        return proc.quit(self._grace_s) if proc is not None else None

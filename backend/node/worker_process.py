"""One Blender worker subprocess: starts backend/render/worker.py, streams its events, stops it on request."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from backend.node.lifetime import die_with_parent
from backend.node.worker_protocol import (
    DraftEnd,
    DraftStart,
    JobSpec,
    Progress,
    WorkerEvent,
    parse_blender_status,
    parse_line,
)

WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "render" / "worker.py"
DEFAULT_GRACE_S = 5.0
TAIL_LINES = 200
# Blender's own exit code for a Python error in a --python script (the worker exits 2 for job errors).
BLENDER_PYTHON_EXIT_CODE = 3
POLL_S = 0.05

# worker.py's SPEC argument for a worker started ahead of its job (see its docstring), and the
# process names it shows in `ps` while it waits and once it has a job.
WAIT_FOR_SPEC = "wait"
READY_PROCESS_NAME = "hearth-ready"
RENDER_PROCESS_NAME = "hearth-render"

EventCallback = Callable[[WorkerEvent], None]


def _ignore(event: WorkerEvent) -> None:
    pass


def worker_command(
    spec_path: Path | str, *, blender: str | None = None, python: str | None = None
) -> list[str]:
    """The command line: the bpy module under `python` (default: this interpreter), or `blender -b`."""
    if blender:
        return [
            blender,
            "-b",
            "--factory-startup",
            "--python-exit-code",
            str(BLENDER_PYTHON_EXIT_CODE),
            "--python",
            str(WORKER_SCRIPT),
            "--",
            str(spec_path),
        ]
    return [python or sys.executable, str(WORKER_SCRIPT), "--", str(spec_path)]


class WorkerProcess:
    """One worker subprocess: parses its stdout into events, keeps output tails, stops on request.

    `start()` runs `spec` at once. Alternatively `start_waiting()` starts Blender with no job yet, and
    `assign()` later hands it one: the job then skips Blender's start-up.
    """

    def __init__(
        self,
        spec: JobSpec | None,
        on_event: EventCallback = _ignore,
        *,
        blender: str | None = None,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self._on_event = on_event
        self._blender = blender
        self._python = python
        self._env = dict(env) if env is not None else None
        self.stdout_tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.stderr_tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.last_output_at = time.monotonic()
        self._proc: subprocess.Popen[str] | None = None
        self._threads: list[threading.Thread] = []
        self._spec_dir: tempfile.TemporaryDirectory[str] | None = None
        self._stdin_lock = threading.Lock()
        self._worker_progress_seen = False
        self._drafting = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        self._spawn(self._write_spec())

    def start_waiting(self) -> None:
        """Starts Blender without a job; `assign()` gives it one."""
        self._spawn(WAIT_FOR_SPEC)

    def assign(self, spec: JobSpec, on_event: EventCallback) -> bool:
        """Hands a worker from `start_waiting()` its job; False if it can no longer take one."""
        if self._proc is None or self._spec_dir is not None or self.poll() is not None:
            return False
        self.spec, self._on_event = spec, on_event
        return self.send(f"spec {self._write_spec()}")

    def _write_spec(self) -> Path:
        assert self.spec is not None, "a worker needs a job spec to start"
        self._spec_dir = tempfile.TemporaryDirectory(prefix="hearth-spec-")
        spec_path = Path(self._spec_dir.name) / "job.json"
        spec_path.write_text(self.spec.to_json(), encoding="utf-8")
        return spec_path

    def _spawn(self, spec_arg: Path | str) -> None:
        self._proc = subprocess.Popen(
            worker_command(spec_arg, blender=self._blender, python=self._python),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=self._env,
            # Its own process group, so a cancel reaches anything Blender spawned too.
            start_new_session=True,
            # ...which also puts it out of reach of a signal to the node's group: a SIGKILLed node
            # would leave Blender rendering for nobody, so the kernel kills it with the node.
            preexec_fn=die_with_parent(signal.SIGKILL),  # noqa: PLW1509
        )
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._threads = [
            threading.Thread(target=self._pump, args=(self._proc.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self._proc.stderr, False), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _pump(self, stream: IO[str], is_stdout: bool) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            self.last_output_at = time.monotonic()
            if not is_stdout:
                self.stderr_tail.append(line)
                continue
            event = parse_line(line)
            # Blank lines (around each event) and progress events would crowd the useful lines out.
            if line.strip() and not isinstance(event, Progress):
                self.stdout_tail.append(line)
            if isinstance(event, Progress):
                self._worker_progress_seen = True
            elif isinstance(event, DraftStart | DraftEnd):
                self._drafting = isinstance(event, DraftStart)
            elif event is None and not self._worker_progress_seen and not self._drafting:
                # Blender 3.4 handlers get no stats text; its `Fra:` lines are the fallback
                # (except during a draft, whose samples are not the frame's).
                event = parse_blender_status(line)
            if event is not None:
                self._on_event(event)

    def tails(self, lines: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The last `lines` lines of stdout and of stderr (complete once `wait()` has returned)."""
        stdout, stderr = list(self.stdout_tail), list(self.stderr_tail)
        return tuple(stdout[-lines:]), tuple(stderr[-lines:])

    def poll(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def send(self, command: str) -> bool:
        """Writes one control line (`spec PATH`, `skip N`, `frame N`, `quit`); False if it cannot be told."""
        proc = self._proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            return False
        with self._stdin_lock:
            try:
                proc.stdin.write(command + "\n")
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                return False
        return True

    def skip(self, frame: int) -> bool:
        """Asks the worker not to start `frame`; False if it can no longer be told."""
        return self.send(f"skip {frame}")

    def terminate(self, grace_s: float = DEFAULT_GRACE_S) -> None:
        """SIGTERM now, SIGKILL if the process is still alive after `grace_s` (from a daemon thread)."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        self._signal(signal.SIGTERM)

        def reap() -> None:
            try:
                proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)

        threading.Thread(target=reap, daemon=True).start()

    def quit(self, grace_s: float = DEFAULT_GRACE_S) -> int:
        """Lets the worker exit cleanly (`quit`), killing it if it does not within `grace_s`; reaps it."""
        if self.send("quit"):
            deadline = time.monotonic() + grace_s
            while self.poll() is None and time.monotonic() < deadline:
                time.sleep(POLL_S)
        self.terminate(grace_s)
        return self.wait()

    def _signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, sig)

    def wait(self, stall_timeout_s: float | None = None) -> int:
        """Waits for exit; kills the worker if it prints nothing for `stall_timeout_s`."""
        assert self._proc is not None
        while True:
            try:
                rc = self._proc.wait(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                if stall_timeout_s is not None and time.monotonic() - self.last_output_at > stall_timeout_s:
                    self.stderr_tail.append(
                        f"hearth: no output for {stall_timeout_s:.0f} s, killing the worker"
                    )
                    self._signal(signal.SIGKILL)
        for thread in self._threads:
            thread.join()
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._proc.stdout.close()
        self._proc.stderr.close()
        if self._spec_dir is not None:
            self._spec_dir.cleanup()
        return rc

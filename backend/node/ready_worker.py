"""ReadyWorker: a Blender worker started while the node is idle, so a task's first frame skips start-up."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from backend.node.worker_process import DEFAULT_GRACE_S, EventCallback, WorkerProcess
from backend.node.worker_protocol import JobSpec


class ReadyWorker:
    """Holds at most one worker that has started Blender and waits for its job spec.

    Starting the bpy module is most of the time from a claim to the first rendered sample (about
    0.35 s of 0.55 s measured with bench/farm.py), so the node pays it before it claims. The price is
    one idle Blender's memory (about 400 MB) while the node waits for work. Only call `prepare()` when
    no frame renders on this node: Blender's start-up would otherwise take CPU from that frame.
    """

    def __init__(
        self,
        *,
        blender: str | None = None,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
        grace_s: float = DEFAULT_GRACE_S,
    ) -> None:
        self._blender = blender
        self._python = python
        self._env = env
        self._grace_s = grace_s
        self._lock = threading.Lock()
        self._proc: WorkerProcess | None = None

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._proc.pid if self._proc is not None else None

    def prepare(self) -> None:
        """Starts a waiting worker unless one is already alive."""
        with self._lock:
            proc = self._proc
            if proc is not None and proc.poll() is None:
                return
            self._proc = None
        if proc is not None:
            proc.wait()  # it died while waiting: reap it and its readers
        fresh = WorkerProcess(None, blender=self._blender, python=self._python, env=self._env)
        fresh.start_waiting()
        with self._lock:
            self._proc = fresh

    def take(
        self,
        spec: JobSpec,
        on_event: EventCallback,
        *,
        blender: str | None = None,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> WorkerProcess | None:
        """The waiting worker, now running `spec`; None if there is none or it was started differently."""
        if (blender, python, env) != (self._blender, self._python, self._env):
            return None
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.assign(spec, on_event):
            return proc
        proc.quit(self._grace_s)
        return None

    def close(self) -> None:
        """Lets the waiting worker exit (`quit`), killing it if it does not within the grace period."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None:
            proc.quit(self._grace_s)

"""The one way to run I/O: callables on a QThreadPool, results delivered to the GUI thread by signals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)
SHUTDOWN_WAIT_MS = 20_000


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # handed to the GUI thread, which decides what to show
            log.debug("background job failed", exc_info=True)
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


class Ops(QObject):
    """Runs `fn` off the GUI thread; `on_done`/`on_error` run on the GUI thread (queued signals)."""

    error = Signal(str)  # every failure without its own handler lands here (status bar / dialog)

    def __init__(self, parent: QObject | None = None, max_threads: int = 8) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._alive: set[_Job] = set()

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        job = _Job(fn)
        job.setAutoDelete(False)  # we keep it until its signal arrived, so the signals object outlives run()
        self._alive.add(job)

        def finished(result: Any) -> None:
            self._alive.discard(job)
            if on_done is not None:
                on_done(result)

        def failed(exc: Exception) -> None:
            self._alive.discard(job)
            if on_error is not None:
                on_error(exc)
            else:
                self.error.emit(str(exc))

        # `self` as context object: the slots run in the GUI thread (queued), and die with Ops.
        job.signals.done.connect(finished)
        job.signals.failed.connect(failed)
        self.pool.start(job)

    def busy(self) -> int:
        return len(self._alive)

    def shutdown(self) -> None:
        self.pool.clear()
        self.pool.waitForDone(SHUTDOWN_WAIT_MS)

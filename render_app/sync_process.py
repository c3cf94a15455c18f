"""Runs render_app.sync_worker as a child (QProcess) and turns its JSON lines into Qt signals."""

from __future__ import annotations

import json
import sys
from typing import Any

from PySide6.QtCore import QObject, QProcess, Signal

from render_client.progress import TransferSnapshot

SYNC_WORKER_FLAG = "--sync-worker"
STOP_GRACE_MS = 5000


def worker_command() -> tuple[str, list[str]]:
    if getattr(sys, "frozen", False):
        return sys.executable, [SYNC_WORKER_FLAG]  # the bundle re-executes itself in worker mode
    return sys.executable, ["-m", "render_app.sync_worker"]


class SyncProcess(QObject):
    progress = Signal(object)  # TransferSnapshot
    finished = Signal(bool, str)  # ok, error message ("" when cancelled or ok)

    def __init__(self, job: dict[str, Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job
        self._buffer = ""
        self._outcome: tuple[bool, str] | None = None
        self.cancelled = False
        self.process = QProcess(self)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)

    def start(self) -> None:
        program, args = worker_command()
        self.process.start(program, args)
        self.process.write((json.dumps(self._job) + "\n").encode())

    def cancel(self) -> None:
        self.cancelled = True
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.write(b"cancel\n")

    def _read(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput().data()).decode("utf-8", "replace")
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            try:
                message = json.loads(line)
            except ValueError:
                continue  # a library printed something; not ours
            if "progress" in message:
                self.progress.emit(TransferSnapshot(**message["progress"]))
            elif "done" in message:
                self._outcome = (True, "")
            elif "error" in message:
                self._outcome = (False, "" if message.get("cancelled") else str(message["error"]))

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._read()
        if self._outcome is None:
            error = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
            self._outcome = (False, f"the sync process stopped (code {code}): {error[-500:]}")
        self.finished.emit(*self._outcome)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._outcome = (False, f"cannot start the sync process: {self.process.errorString()}")
            self.finished.emit(*self._outcome)

    def stop(self) -> None:
        """At exit: ask it to cancel, then make sure it is gone."""
        self.cancel()
        if not self.process.waitForFinished(STOP_GRACE_MS):
            self.process.kill()
            self.process.waitForFinished(STOP_GRACE_MS)

"""Starts and stops the bundled farm server as a child process (QProcess: no thread, no blocking)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, Signal

READY_MARKER = "HEARTH_READY"
# The token comes over this pipe (`serve --credentials-via-stdout`): no credentials file is written.
CREDENTIALS_MARKER = "HEARTH_CREDENTIALS"
STOP_GRACE_MS = 15_000
FARM_SERVER_FLAG = "--farm-server"


def farm_command(data_dir: Path, nodes: int, port: int = 0) -> tuple[str, list[str]]:
    """The child's program and arguments: `python -m backend.cli serve`, or our own bundle in farm mode."""
    args = ["serve", "--port", str(port), "--data-dir", str(data_dir), "--nodes", str(nodes)]
    args.append("--credentials-via-stdout")
    if getattr(sys, "frozen", False):
        # A PyInstaller bundle has no separate python: it re-executes itself in farm-server mode.
        return sys.executable, [FARM_SERVER_FLAG, *args]
    # A command, not an import: the app must never run the backend inside the GUI process.
    return sys.executable, ["-m", "backend.cli", *args]


class LocalFarm(QObject):
    """`ready(dict)` carries the server's HEARTH_READY line; `failed(str)` says why it did not start."""

    ready = Signal(dict)
    failed = Signal(str)
    stopped = Signal()

    def __init__(self, data_dir: Path, nodes: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.nodes = nodes
        self.info: dict[str, Any] | None = None
        self.log_tail: list[str] = []
        self._buffer = ""
        self._credentials: dict[str, Any] = {}
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        self.process.readyReadStandardOutput.connect(self._read_stdout)
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        program, args = farm_command(self.data_dir, self.nodes)
        env = self.process.processEnvironment()
        if env.isEmpty():
            from PySide6.QtCore import QProcessEnvironment

            env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        self.process.setProcessEnvironment(env)
        self.process.start(program, args)

    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def _read_stdout(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput().data()).decode("utf-8", "replace")
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            if line.startswith(CREDENTIALS_MARKER):
                self._credentials = dict(json.loads(line[len(CREDENTIALS_MARKER) :]))  # never logged
            elif line.startswith(READY_MARKER) and self.info is None:
                self.info = json.loads(line[len(READY_MARKER) :])
                if self._credentials.get("token"):
                    self.info["token"] = self._credentials["token"]
                self.ready.emit(self.info)
            else:
                self._keep(line)

    def _read_stderr(self) -> None:
        text = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            self._keep(line)

    def _keep(self, line: str) -> None:
        self.log_tail = [*self.log_tail[-199:], line]

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        if self.info is None:
            tail = "\n".join(self.log_tail[-15:])
            self.failed.emit(f"the local farm exited (code {code}) before it was ready:\n{tail}")
        self.stopped.emit()

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.failed.emit(f"cannot start the local farm: {self.process.errorString()}")

    def stop(self) -> None:
        """SIGTERM, then wait for the server to stop its nodes; only called at exit, so waiting is fine."""
        if not self.running():
            return
        self.process.terminate()
        if not self.process.waitForFinished(STOP_GRACE_MS):
            self.process.kill()
            self.process.waitForFinished(STOP_GRACE_MS)

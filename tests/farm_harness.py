"""Starts real farms for tests: in a thread of the test process, or as a `hearth-server` subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.config import Settings
from backend.server import READY_MARKER, FarmServer

SUBPROCESS_READY_TIMEOUT_S = 60.0


@dataclass
class RunningFarm:
    url: str
    storage_url: str
    email: str
    token: str
    data_dir: Path
    server: FarmServer | None = None
    process: subprocess.Popen[str] | None = None

    def add_account(self, email: str) -> str:
        """Creates another account and returns its token."""
        if self.server is not None:
            self.server.ctx.accounts.create_account(email)
            return self.server.ctx.accounts.issue_token(email)
        out = subprocess.run(
            [sys.executable, "-m", "backend.cli", "user", "add", email, "--data-dir", str(self.data_dir)],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()


@contextmanager
def farm_in_thread(data_dir: Path, **settings: Any) -> Iterator[RunningFarm]:
    server = FarmServer(Settings(data_dir=data_dir, port=0, **settings))
    server.start()
    try:
        creds = json.loads(Path(str(server.local_credentials)).read_text())
        yield RunningFarm(
            url=server.base_url,
            storage_url=server.ctx.storage_url,
            email=creds["email"],
            token=creds["token"],
            data_dir=data_dir,
            server=server,
        )
    finally:
        server.stop()


def start_farm_process(
    data_dir: Path, *extra_args: str, port: int = 0, nodes: int = 0
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Starts `hearth-server serve` and waits for its ready line; returns the process and that line."""
    cmd = [
        sys.executable,
        "-m",
        "backend.cli",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--nodes",
        str(nodes),
        *extra_args,
    ]
    process = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    ready: dict[str, Any] = {}
    found = threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(READY_MARKER) and not found.is_set():
                ready.update(json.loads(line[len(READY_MARKER) :]))
                found.set()

    threading.Thread(target=read_stdout, daemon=True).start()
    if not found.wait(SUBPROCESS_READY_TIMEOUT_S):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise RuntimeError(f"hearth-server did not become ready: {err[-2000:]}")
    return process, ready


def stop_process(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)

"""LocalNodes: the embedded farm's own heater nodes, run as `hearth-node` child processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from backend.context import FarmContext
from backend.local_tls import LocalNodeTls
from backend.node.lifetime import die_with_parent

STOP_GRACE_S = 10.0


def _node_preexec(cpus: set[int] | None) -> Callable[[], None]:
    # A local node must not outlive a killed farm server (off Linux it notices through failing heartbeats).
    die = die_with_parent(signal.SIGTERM)

    def preexec() -> None:
        die()
        if cpus:
            # A node owns its cores, as a heater's own computer would: Blender's idle worker threads
            # spin-wait, and two nodes sharing every core steal each other's cycles (halving throughput).
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, cpus)

    return preexec


def node_cpus(index: int, count: int, available: list[int]) -> set[int] | None:
    """The cores of local node `index` (0-based) when `count` nodes split the machine; None: share all."""
    if count <= 1 or count > len(available):
        return None
    share = len(available) // count
    return set(available[index * share : (index + 1) * share])


class LocalNodes:
    def __init__(
        self,
        ctx: FarmContext,
        count: int,
        server_url: str,
        *,
        threads_per_node: int = 1,
        tls: LocalNodeTls | None = None,
    ) -> None:
        """With `tls`, the nodes connect over mTLS: they pin its CA and present a certificate it issued."""
        self._ctx = ctx
        self._tls = tls
        self._count = count
        self._server_url = server_url
        self._threads = threads_per_node
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        # Several heartbeats fit in the timeout, so one late heartbeat never looks like a lost node.
        self._heartbeat_s = max(0.5, min(5.0, ctx.settings.heartbeat_timeout_s / 4))

    def start(self) -> None:
        available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        for index in range(self._count):
            name = f"local-{index + 1}"
            token = self._ctx.fleet.add(name, replace_token=True)
            work_dir = self._ctx.settings.data_dir / "nodes" / name
            cpus = node_cpus(index, self._count, available)
            self.processes[name] = self._spawn(name, token, work_dir, cpus)

    def _spawn(self, name: str, token: str, work_dir: Path, cpus: set[int] | None) -> subprocess.Popen[bytes]:
        command = [
            sys.executable, "-m", "backend.node",
            "--server", self._server_url,
            "--name", name,
            "--work-dir", str(work_dir),
            "--threads", str(len(cpus) if cpus else self._threads),
            "--heartbeat", str(self._heartbeat_s),
        ]  # fmt: skip
        if self._tls is not None:
            cert, key = self._tls.issue_node(name)
            command += ["--ca-cert", str(self._tls.ca_path)]
            command += ["--client-cert", str(cert), "--client-key", str(key)]
        env = {**os.environ, "HEARTH_NODE_TOKEN": token}
        return subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, preexec_fn=_node_preexec(cpus))  # noqa: PLW1509

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

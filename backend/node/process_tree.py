"""CPU time of the node agent and every Blender worker it runs, live or finished."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def _live_children_cpu_s(parent: int, proc_root: Path, ticks: int) -> float:
    total = 0.0
    for entry in proc_root.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text(encoding="ascii")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) != parent:
            continue
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        total += (utime + stime + cutime + cstime) / ticks
    return total


def node_cpu_seconds(proc_root: Path = PROC) -> float:
    """Own + reaped children (os.times) + still-running children (/proc): continuous as workers exit.

    A child's time moves from the /proc sum to the reaped sum at the instant it is reaped, so the
    total neither jumps nor counts anything twice.
    """
    times = os.times()
    reaped = times.user + times.system + times.children_user + times.children_system
    if not proc_root.exists():
        return reaped
    return reaped + _live_children_cpu_s(os.getpid(), proc_root, os.sysconf("SC_CLK_TCK"))

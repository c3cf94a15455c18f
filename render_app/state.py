"""Plain-Python app state (no Qt): what the app knows about tasks, frames and nodes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FINAL_STATES = frozenset({"Success", "Failure", "Cancelled"})


@dataclass
class FrameInfo:
    number: int
    state: str = "Queued"  # Queued | Rendering | Done | Failed
    percent: float = 0.0
    node: str = ""
    render_time_s: float | None = None
    energy_wh: float | None = None
    outputs: list[str] = field(default_factory=list)


@dataclass
class TaskInfo:
    uuid: str
    name: str
    state: str
    frames: list[int]
    result_bucket: str | None = None
    scene: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    frame_info: dict[int, FrameInfo] = field(default_factory=dict)
    carbon: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.monotonic)
    scout: bool = False

    def __post_init__(self) -> None:
        for number in self.frames:
            self.frame_info.setdefault(number, FrameInfo(number))

    @property
    def done(self) -> int:
        return sum(1 for f in self.frame_info.values() if f.state == "Done")

    @property
    def failed_frames(self) -> list[int]:
        return sorted(n for n, f in self.frame_info.items() if f.state == "Failed")

    @property
    def total(self) -> int:
        return len(self.frames)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def progress(self) -> float:
        """Finished frames plus the running ones' share, 0..1."""
        if not self.frames:
            return 0.0
        partial = sum(f.percent / 100 for f in self.frame_info.values() if f.state == "Rendering")
        return min(1.0, (self.done + partial) / self.total)

    def eta_s(self) -> float | None:
        """Remaining time from the elapsed time and the progress so far; None until a frame moved."""
        progress = self.progress
        if self.is_final or progress <= 0.01:
            return None
        elapsed = time.monotonic() - self.started_at
        return elapsed * (1 - progress) / progress

    def apply(self, kind: str, data: dict[str, Any]) -> set[int]:
        """Folds one farm event in; returns the frame numbers it changed."""
        frame = data.get("frame")
        info = self.frame_info.get(int(frame)) if isinstance(frame, int) else None
        if kind == "task-state":
            self.state = str(data.get("state", self.state))
            return set()
        if info is None:
            if kind == "carbon-facts":
                self.carbon = dict(data)
            return set()
        if kind == "frame-progress" and info.state != "Done":
            info.state, info.percent, info.node = (
                "Rendering",
                float(data.get("percent") or 0),
                str(data.get("node") or info.node),
            )
        elif kind == "frame-done":
            info.state, info.percent = "Done", 100.0
            info.node = str(data.get("node") or info.node)
            info.render_time_s = _number(data.get("renderTimeS"))
            info.energy_wh = _number(data.get("energyWh"))
            info.outputs = [str(o) for o in data.get("outputs") or []]
        elif kind == "frame-failed":
            info.state = "Failed"
        elif kind == "preview-ready" and info.state == "Queued":
            info.state = "Rendering"
        return {info.number}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


@dataclass
class NodeInfo:
    name: str
    state: str = ""
    power_w: float = 0.0
    room_c: float | None = None
    setpoint_c: float | None = None
    wants_heat: bool = False
    frame: int | None = None
    progress: float = 0.0
    online: bool = True

    def apply(self, data: dict[str, Any]) -> bool:
        """Folds one telemetry event in; True when something visible changed."""
        room = data.get("room") or {}
        before = (self.state, round(self.power_w), _rounded(self.room_c), self.frame, round(self.progress))
        self.state = str(data.get("state", self.state))
        self.online = True  # it just reported
        self.power_w = float(data.get("power_w") or 0.0)
        self.room_c = _number(room.get("room_c"))
        self.setpoint_c = _number(room.get("setpoint_c"))
        self.wants_heat = bool(room.get("wants_heat", False))
        self.frame = data.get("frame") if isinstance(data.get("frame"), int) else None
        self.progress = float(data.get("progress") or 0.0)
        after = (self.state, round(self.power_w), _rounded(self.room_c), self.frame, round(self.progress))
        return before != after


def _rounded(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"

"""The node side of the Blender worker protocol: job-spec JSON out, typed `@@HEARTH` events in."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

MARKER = "@@HEARTH"
DEFAULT_PREVIEW_MAX_PX = 512
DEFAULT_PREVIEW_INTERVAL_S = 2.0

_decoder = json.JSONDecoder()
# Blender binaries print status lines such as `Fra:1 Mem:11M ... | Sample 3/16` (Cycles) or
# `Fra:1 ... | Rendering 1 / 16 samples` (EEVEE). Blender 3.4 gives handlers no text, so these are
# the only per-sample progress there.
_FRA_LINE = re.compile(r"^Fra:(-?\d+) ")
_SAMPLE = re.compile(r"\| (?:Sample (\d+)/(\d+)|Rendering (\d+) / (\d+) samples)")


@dataclass(frozen=True)
class PreviewSettings:
    dir: Path | None = None
    max_size_px: int = DEFAULT_PREVIEW_MAX_PX
    min_interval_s: float = DEFAULT_PREVIEW_INTERVAL_S
    # A one-sample render at preview size before each frame, shown while the frame renders.
    draft: bool = True


@dataclass(frozen=True)
class JobSpec:
    """What one worker process renders; mirrors the keys documented in backend/render/worker.py."""

    blend: Path
    output_dir: Path
    frames: tuple[int, ...]
    scene: str | None = None
    camera: str | None = None
    engine: str | None = None
    samples: int | None = None
    resolution_x: int | None = None
    resolution_y: int | None = None
    resolution_percentage: int | None = None
    format: str = "PNG"
    threads: int | None = None
    use_denoising: bool = False
    preview: PreviewSettings = field(default_factory=PreviewSettings)
    control: str | None = None
    serve: bool = False

    def with_frames(self, frames: tuple[int, ...] | list[int]) -> JobSpec:
        return replace(self, frames=tuple(frames))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["blend"] = str(self.blend)
        data["output_dir"] = str(self.output_dir)
        data["frames"] = list(self.frames)
        data["preview"] = {
            "dir": str(self.preview.dir) if self.preview.dir is not None else None,
            "max_size_px": self.preview.max_size_px,
            "min_interval_s": self.preview.min_interval_s,
            "draft": self.preview.draft,
        }
        return {k: v for k, v in data.items() if v is not None}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)


@dataclass(frozen=True)
class Started:
    pid: int
    blender: str


@dataclass(frozen=True)
class Ready:
    scene: str
    engine: str
    camera: str
    resolution: tuple[int, ...]


@dataclass(frozen=True)
class FrameStart:
    frame: int


@dataclass(frozen=True)
class Progress:
    frame: int
    done: int
    total: int
    percent: float


@dataclass(frozen=True)
class DraftStart:
    """The worker renders a quick draft of `frame` before the frame itself (no frame progress meanwhile)."""

    frame: int


@dataclass(frozen=True)
class DraftEnd:
    """The draft is over; `ok` says whether its progressive preview was written, `secs` what it cost."""

    frame: int
    ok: bool
    secs: float


@dataclass(frozen=True)
class Preview:
    frame: int
    path: Path
    final: bool


@dataclass(frozen=True)
class FrameDone:
    frame: int
    path: Path
    secs: float
    thumbnail: Path | None


@dataclass(frozen=True)
class FrameSkipped:
    frame: int


@dataclass(frozen=True)
class Idle:
    """A serving worker has rendered everything it was sent and waits for `frame N`."""


@dataclass(frozen=True)
class WorkerError:
    message: str
    traceback: str | None = None


@dataclass(frozen=True)
class Finished:
    frames_done: int


@dataclass(frozen=True)
class UnknownEvent:
    """An event this node does not know yet (a newer worker); kept so callers can log it."""

    ev: str
    data: dict[str, Any]


WorkerEvent = (
    Started
    | Ready
    | FrameStart
    | Progress
    | DraftStart
    | DraftEnd
    | Preview
    | FrameDone
    | FrameSkipped
    | Idle
    | WorkerError
    | Finished
    | UnknownEvent
)


def _event_from_dict(data: dict[str, Any]) -> WorkerEvent:
    ev = str(data.get("ev", ""))
    try:
        if ev == "started":
            return Started(pid=int(data["pid"]), blender=str(data.get("blender", "")))
        if ev == "ready":
            return Ready(
                scene=str(data["scene"]),
                engine=str(data["engine"]),
                camera=str(data["camera"]),
                resolution=tuple(int(v) for v in data.get("resolution", [])),
            )
        if ev == "frame_start":
            return FrameStart(frame=int(data["frame"]))
        if ev == "progress":
            return Progress(
                frame=int(data["frame"]),
                done=int(data["done"]),
                total=int(data["total"]),
                percent=float(data["percent"]),
            )
        if ev == "draft_start":
            return DraftStart(frame=int(data["frame"]))
        if ev == "draft_end":
            return DraftEnd(frame=int(data["frame"]), ok=bool(data.get("ok")), secs=float(data["secs"]))
        if ev == "preview":
            return Preview(frame=int(data["frame"]), path=Path(data["path"]), final=bool(data.get("final")))
        if ev == "frame_done":
            thumb = data.get("thumbnail")
            return FrameDone(
                frame=int(data["frame"]),
                path=Path(data["path"]),
                secs=float(data["secs"]),
                thumbnail=Path(thumb) if thumb else None,
            )
        if ev == "frame_skipped":
            return FrameSkipped(frame=int(data["frame"]))
        if ev == "idle":
            return Idle()
        if ev == "error":
            tb = data.get("traceback")
            return WorkerError(message=str(data.get("message", "")), traceback=str(tb) if tb else None)
        if ev == "finished":
            return Finished(frames_done=int(data["frames_done"]))
    except (KeyError, TypeError, ValueError):
        pass  # a malformed known event is reported as unknown rather than crashing the node
    return UnknownEvent(ev=ev, data=data)


def parse_line(line: str) -> WorkerEvent | None:
    """The event in `line`, or None. The marker may sit mid-line (Blender 3.4 glues output together)."""
    pos = line.find(MARKER)
    while pos != -1:
        start = pos + len(MARKER)
        try:
            data, _ = _decoder.raw_decode(line[start:].lstrip())
        except ValueError:
            data = None
        if isinstance(data, dict):
            return _event_from_dict(data)
        pos = line.find(MARKER, start)
    return None


def parse_blender_status(line: str) -> Progress | None:
    """A Progress from a Blender `Fra:` status line, or None (the bpy module prints none)."""
    head = _FRA_LINE.match(line)
    if head is None:
        return None
    # A marker glued to the line belongs to parse_line; keep only Blender's own text.
    text = line.split(MARKER, 1)[0]
    samples = _SAMPLE.findall(text)
    if not samples:
        return None
    a, b, c, d = samples[-1]
    done, total = (int(a), int(b)) if a else (int(c), int(d))
    if total <= 0:
        return None
    return Progress(
        frame=int(head.group(1)), done=done, total=total, percent=round(100.0 * min(done, total) / total, 1)
    )

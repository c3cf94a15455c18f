"""Typed messages the background job posts for the main thread; plain data, no bpy."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Status:
    """A step started or ended; `text` is ready for the panel's status line."""

    text: str


@dataclass(frozen=True)
class Notice:
    text: str


@dataclass(frozen=True)
class Upload:
    fraction: float
    text: str


@dataclass(frozen=True)
class MissingFiles:
    """The scene needs files that do not exist; nothing was uploaded."""

    text: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Submitted:
    task_uuid: str
    frames_total: int


@dataclass(frozen=True)
class FrameProgress:
    frame: int
    fraction: float


@dataclass(frozen=True)
class FrameDownloaded:
    frame: int | None
    path: str


@dataclass(frozen=True)
class TaskState:
    state: str
    frames_done: int
    frames_total: int


@dataclass(frozen=True)
class Carbon:
    """The finished job's carbon facts, already formatted as lines for the panel."""

    lines: tuple[str, ...]
    raw: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class LoginStatus:
    """The result of checking the farm login: a token found and accepted by the farm (`ok`), or why not."""

    server: str
    ok: bool
    text: str


@dataclass(frozen=True)
class Finished:
    """The job ended: `ok` with the final task state, or not with an error message to show."""

    ok: bool
    text: str
    thread_name: str = ""


Message = (
    Status
    | Notice
    | Upload
    | MissingFiles
    | Submitted
    | FrameProgress
    | FrameDownloaded
    | TaskState
    | Carbon
    | LoginStatus
    | Finished
)

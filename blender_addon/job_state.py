"""What the panel shows about the current job: folded from the job's messages, on the main thread, no bpy."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import messages as msg

MAX_WARNINGS = 20


@dataclass
class JobState:
    status: str = ""
    running: bool = False
    ok: bool | None = None
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    upload_fraction: float = 0.0
    task_uuid: str = ""
    task_state: str = ""
    frames_total: int = 0
    frames_done: int = 0
    frame_progress: dict[int, float] = field(default_factory=dict)
    downloaded: list[str] = field(default_factory=list)
    carbon: tuple[str, ...] = ()
    thread_name: str = ""
    login_server: str = ""  # the farm the login check last answered for
    login_ok: bool | None = None
    login_text: str = ""

    @property
    def latest_frame(self) -> str:
        return self.downloaded[-1] if self.downloaded else ""

    def apply(self, message: msg.Message) -> None:
        """Folds one message into the state; called only on Blender's main thread."""
        match message:
            case msg.Status(text=text):
                self.status = text
            case msg.Notice(text=text):
                if len(self.warnings) < MAX_WARNINGS:
                    self.warnings.append(text)
            case msg.Upload(fraction=fraction, text=text):
                self.upload_fraction, self.status = fraction, text
            case msg.MissingFiles(paths=paths):
                self.missing = list(paths)
            case msg.Submitted(task_uuid=uuid, frames_total=total):
                self.task_uuid, self.frames_total = uuid, total
            case msg.FrameProgress(frame=frame, fraction=fraction):
                self.frame_progress[frame] = fraction
            case msg.FrameDownloaded(frame=frame, path=path):
                self.downloaded.append(path)
                if frame is not None:
                    self.frame_progress.pop(frame, None)
            case msg.TaskState(state=state, frames_done=done, frames_total=total):
                self.task_state, self.frames_done = state, done
                self.frames_total = total or self.frames_total
                self.status = f"{state}: {done}/{self.frames_total} frames"
            case msg.Carbon(lines=lines):
                self.carbon = lines
            case msg.LoginStatus(server=server, ok=ok, text=text):
                self.login_server, self.login_ok, self.login_text = server, ok, text
            case msg.Finished(ok=ok, text=text, thread_name=name):
                self.running, self.ok, self.thread_name = False, ok, name
                if ok:
                    self.status = text
                else:
                    self.error = self.status = text

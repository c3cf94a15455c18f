"""`hearth follow`, `--wait`, `--download`: live text progress from events; frames fetched as they land."""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from render_client.cli_support import EXIT_FAILED, EXIT_OK, Context
from render_client.errors import HearthError
from render_client.events import EventStream, FarmEvent
from render_client.models import FINAL_STATES, Task
from render_client.results import DownloadOutcome, ResultDownloader

QUIET_CHECK_S = 2.0
CONNECT_WAIT_S = 10.0  # when the stream is quiet this long, ask the farm directly
BAR_CHARS = 30
SHOWN_RUNNING = 4


@dataclass
class TaskView:
    """What the terminal shows about one task, updated from events and polls."""

    uuid: str
    name: str
    state: str
    total: int
    done: int
    failed: int = 0
    running: dict[int, float] = field(default_factory=dict)  # frame -> fraction rendered

    def update_from_task(self, task: Task) -> None:
        self.state, self.total, self.done = task.state, task.instance_count, task.frames_done

    def apply(self, event: FarmEvent) -> str | None:
        """Updates the view; returns a line worth logging (state change, frame finished), if any."""
        data = event.data
        frame = data.get("frame")
        if event.kind == "task-state":
            self.state = str(data.get("state", self.state))
            self.done = int(data.get("framesDone", self.done))
            self.total = int(data.get("framesTotal", self.total) or self.total)
            return f"task {self.uuid}: {self.state}"
        if event.kind == "frame-progress" and isinstance(frame, int):
            total = data.get("total") or 0
            self.running[frame] = float(data.get("done", 0)) / float(total) if total else 0.0
        elif event.kind == "frame-done" and isinstance(frame, int):
            self.running.pop(frame, None)
            self.done = min(self.total or self.done + 1, self.done + 1)
            return f"frame {frame} done on {data.get('node', '?')}"
        elif event.kind == "frame-failed" and isinstance(frame, int):
            self.running.pop(frame, None)
            self.failed += 1
            return f"frame {frame} failed: {data.get('message') or data.get('error') or 'see hearth logs'}"
        return None

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def line(self) -> str:
        fraction = self.done / self.total if self.total else 0.0
        filled = int(fraction * BAR_CHARS)
        frames = ", ".join(f"f{f} {p * 100:.0f}%" for f, p in sorted(self.running.items())[:SHOWN_RUNNING])
        failed = f", {self.failed} failed" if self.failed else ""
        return (
            f"[{'#' * filled}{'.' * (BAR_CHARS - filled)}] {self.done}/{self.total} frames{failed}  "
            f"{self.state}" + (f"  rendering {frames}" if frames else "")
        )


def outcome_printer(ctx: Context) -> Callable[[DownloadOutcome], None]:
    def show(outcome: DownloadOutcome) -> None:
        if outcome.status == "downloaded":
            ctx.out.note(f"downloaded {outcome.key}")
        elif outcome.status == "kept-local":
            ctx.out.note(f"kept your newer {outcome.key}; the farm's version is in {outcome.path.name}")

    return show


def merge_outcomes(
    earlier: dict[str, DownloadOutcome], final: list[DownloadOutcome]
) -> list[DownloadOutcome]:
    """The final sweep sees frames fetched earlier (as events came) as "unchanged": report what happened."""
    merged: list[DownloadOutcome] = []
    for outcome in final:
        before = earlier.get(outcome.key)
        keep_before = outcome.status == "unchanged" and before is not None and before.status != "unchanged"
        merged.append(before if keep_before and before is not None else outcome)
    return merged


def print_download_summary(ctx: Context, outcomes: list[DownloadOutcome], dest: Path) -> None:
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("downloaded", "unchanged", "kept-local")}
    rows = [{"key": o.key, "path": str(o.path), "status": o.status, "size": o.size_b} for o in outcomes]
    text = (
        f"{dest}: {counts['downloaded']} downloaded, {counts['unchanged']} already there, "
        f"{counts['kept-local']} kept (newer local file; farm copy saved as 'name (farm).ext')"
    )
    ctx.out.result({"dest": str(dest), "files": rows, **counts}, text)


def _show(ctx: Context, view: TaskView, logged: str | None) -> None:
    if ctx.out.json_mode:
        return
    if ctx.out.interactive:
        if logged:
            print(f"\r\x1b[2K{logged}", file=ctx.out.stderr)
        print(f"\r\x1b[2K{view.line()}", end="", file=ctx.out.stderr, flush=True)
    elif logged:
        ctx.out.note(logged)


def _run(ctx: Context, uuid: str, downloader: ResultDownloader | None) -> int:
    farm = ctx.farm()
    task = farm.task(uuid)
    view = TaskView(task.uuid, task.name, task.state, task.instance_count, task.frames_done)
    inbox: queue.Queue[Any] = queue.Queue()
    stream = EventStream(farm.server, farm.token, tls=ctx.tls())
    if not view.is_final:
        stream.start(inbox.put, on_error=inbox.put)
        # Until it is connected, close() cannot interrupt the stream; and events before it are swept.
        stream.connected.wait(CONNECT_WAIT_S)
    try:
        if downloader is not None:
            downloader.sweep()
        _show(ctx, view, f"task {uuid} ({task.name}): {task.state}")
        while not view.is_final:
            try:
                item = inbox.get(timeout=QUIET_CHECK_S)
            except queue.Empty:
                view.update_from_task(farm.task(uuid))
                _show(ctx, view, None)
                continue
            if isinstance(item, Exception):
                raise item
            if item.task != uuid:
                continue
            if ctx.out.json_mode:
                ctx.out.result({"event": item.kind, "id": item.id, "data": item.data})
            _show(ctx, view, view.apply(item))
            if downloader is not None and item.kind == "frame-done":
                for key in item.data.get("outputs") or []:
                    downloader.download(str(key))
            if view.is_final:
                view.update_from_task(farm.task(uuid))
    finally:
        stream.close()
        if ctx.out.interactive and not ctx.out.json_mode:
            print(file=ctx.out.stderr)
    if downloader is not None:
        fetched_live = dict(downloader.outcomes)
        outcomes = downloader.sweep()  # events can be lost; the bucket listing cannot
        print_download_summary(ctx, merge_outcomes(fetched_live, outcomes), downloader.dest)
    ctx.out.result({"uuid": uuid, "state": view.state, "framesDone": view.done, "frames": view.total})
    ctx.out.note(f"task {uuid} ended: {view.state} ({view.done}/{view.total} frames)")
    return EXIT_OK if view.state == "Success" else EXIT_FAILED


def follow_task(ctx: Context, uuid: str) -> int:
    return _run(ctx, uuid, None)


def follow_and_download(ctx: Context, uuid: str, dest: Path) -> int:
    task = ctx.farm().task(uuid)
    if not task.result_bucket:
        raise HearthError(f"task {uuid} has no result bucket; nothing to download")
    downloader = ResultDownloader(ctx.s3(), task.result_bucket, dest, on_outcome=outcome_printer(ctx))
    return _run(ctx, uuid, downloader)

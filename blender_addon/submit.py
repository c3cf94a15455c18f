"""bpy-free: a scene copy + choices -> trace, upload, submit, follow, download; run on a background thread."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from render_client.api import FarmClient
from render_client.credentials import load_token
from render_client.errors import HearthError, MissingFilesError, NotAuthorized
from render_client.events import EventStream
from render_client.models import FINAL_STATES, CarbonFacts
from render_client.packing import build_package, trace
from render_client.packing_report import PackReport, format_missing
from render_client.progress import TransferSnapshot, describe
from render_client.results import DownloadOutcome, ResultDownloader, Status, farm_copy_path, local_path
from render_client.submit import RenderSettings, input_bucket_name, result_bucket_name, task_body
from render_client.sync import sync_package
from render_client.transfer import StorageAccess, TransferCancelled, ensure_bucket, s3_client

from . import messages as msg
from .job_request import FarmLogin, JobChoices, JobRequest
from .scene_model import FrameNaming, SceneSnapshot, missing_message

Post = Callable[[msg.Message], None]
QUIET_CHECK_S = 2.0  # ask the farm directly when the event stream is this quiet
CANCEL_POLL_S = 0.2  # how soon Cancel is noticed while waiting for events
CONNECT_WAIT_S = 10.0
FARM_RETRIES = 2


def cross_check(snapshot: SceneSnapshot, report: PackReport, copy: Path) -> list[str]:
    """Differences between what Blender lists and what the packer traced, as warnings."""
    traced = {os.path.realpath(f.source) for f in report.files} | {
        os.path.realpath(m.path) for m in report.missing
    }
    traced.discard(os.path.realpath(copy))
    blender = {os.path.realpath(d.path): d for d in snapshot.dependencies}
    warnings = [
        f"{dep.needed_by} uses {dep.path}, which the packer did not find; it will not be uploaded"
        for path, dep in sorted(blender.items())
        if path not in traced and dep.exists
    ]
    extra = sorted(traced - set(blender))
    if extra:
        warnings.append(
            f"the packer also found {len(extra)} file(s) Blender does not list: {', '.join(extra)}"
        )
    return warnings


def carbon_lines(facts: CarbonFacts) -> tuple[str, ...]:
    raw = facts.raw
    lines = [
        f"Energy: {facts.total_energy_it_wh:.2f} Wh, heat reused: {facts.total_reused_energy_wh:.2f} Wh",
        f"Footprint: {facts.footprint_g:.2f} gCO2e (a data centre: {facts.equivalent_datacenter_g:.2f} g)",
        f"Saved: {facts.saved_g:.2f} gCO2e ({facts.saved_percent:.0f} %)",
    ]
    if raw.get("measurement_method"):
        lines.append(f"Measured by {raw['measurement_method']}")
    return tuple(lines)


def frame_of(key: str) -> int | None:
    digits = "".join(c for c in Path(key).stem.rsplit("_", 1)[-1] if c.isdigit())
    return int(digits) if digits else None


class SceneNamedDownloader(ResultDownloader):
    """Puts frame N where Blender itself would write it (`//render/shot_` -> render/shot_0001.png).

    The same steps as ResultDownloader.download with another target; previews keep the farm's names.
    """

    def __init__(self, *args: Any, naming: FrameNaming | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.naming = naming

    def target(self, key: str) -> Path:
        frame = frame_of(key)
        if self.naming is None or frame is None or "/" in key:
            return local_path(self.dest, key)
        return Path(self.naming.path(frame, Path(key).suffix))

    def download(self, key: str, remote: Any = None) -> DownloadOutcome:
        if self.cancel.is_set():
            raise TransferCancelled("the download was cancelled; run it again to fetch the rest")
        if remote is None:
            remote = self._head(key)
        target = self.target(key)
        outcome = self._decide(key, target, remote)
        if outcome is None:
            status: Status = "downloaded"
            if target.exists() and target.stat().st_mtime > remote.modified_ts:
                target, status = farm_copy_path(target), "kept-local"
            target.parent.mkdir(parents=True, exist_ok=True)
            self._fetch(key, target, remote)
            outcome = DownloadOutcome(key, target, status, remote.size_b)
        with self._lock:
            self.outcomes[key] = outcome
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome


def render_settings(choices: JobChoices) -> RenderSettings:
    return RenderSettings(
        frames=choices.frames,
        samples=choices.samples,
        resolution_percent=choices.resolution_percent,
        file_format=choices.file_format,
        camera=choices.camera,
        scene_name=choices.scene_name,
        priority=choices.priority,
        policy=choices.policy,
    )


def connect(login: FarmLogin) -> FarmClient:
    """The farm client; the token comes from the request, else the keyring the Hearth app shares."""
    token = login.token or load_token(login.server)
    if not token:
        raise NotAuthorized(
            f"no token for {login.server}: enter one in the Hearth add-on preferences, "
            "log in with the Hearth app, or set HEARTH_TOKEN"
        )
    return FarmClient(login.server, token, retries=FARM_RETRIES)


def check_login(login: FarmLogin, post: Post) -> None:
    """Finds the token and asks the farm who it belongs to; posts the outcome as a LoginStatus."""
    source = "HEARTH_TOKEN" if login.token else "the Hearth app's login / keyring"
    try:
        farm = connect(login)
        email = farm.user_email()
    except NotAuthorized as exc:
        text = exc.message if login.token is None and "no token" in exc.message else f"token refused: {exc}"
        post(msg.LoginStatus(login.server, False, text))
    except HearthError as exc:
        post(msg.LoginStatus(login.server, False, exc.message))
    else:
        post(msg.LoginStatus(login.server, True, f"logged in as {email} (token from {source})"))


class Job:
    """One submission, run on the caller's (background) thread; it talks only through `post`."""

    def __init__(self, request: JobRequest, post: Post, cancel: threading.Event) -> None:
        self.request = request
        self.post = post
        self.cancel = cancel
        self.task_uuid: str | None = None

    def run(self) -> None:
        name = threading.current_thread().name
        try:
            text = self._submit_and_follow()
            self.post(msg.Finished(ok=True, text=text, thread_name=name))
        except HearthError as exc:
            self.post(msg.Finished(ok=False, text=exc.message, thread_name=name))

    def _submit_and_follow(self) -> str:
        settings = render_settings(self.request.choices)
        frames = settings.check()
        self.post(msg.Status("Checking the scene's files"))
        req = self.request = replace(self.request, snapshot=self.request.snapshot.resolved())
        if req.snapshot.missing:  # what Blender itself knows is missing
            text = missing_message(req.snapshot.missing)
            self.post(msg.MissingFiles(text, tuple(d.path for d in req.snapshot.missing)))
            raise MissingFilesError(text)
        self.post(msg.Status("Tracing the scene's files"))
        report = trace(req.blend_copy)
        # The copy sits in a temporary folder, so every file counts as "outside the scene folder": noise.
        warnings = [w for w in report.warnings if str(req.blend_copy.parent) not in w]
        for warning in [*cross_check(req.snapshot, report, req.blend_copy), *warnings]:
            self.post(msg.Notice(warning))
        if report.missing:
            text = format_missing(report.missing)
            self.post(msg.MissingFiles(text, tuple(str(m.path) for m in report.missing)))
            raise MissingFilesError(text + "\nNothing was uploaded.")
        farm = connect(req.login)
        self.post(msg.Status(f"Connecting to {farm.server}"))
        s3 = s3_client(StorageAccess.from_farm(farm))
        staging = req.blend_copy.parent / "staging"
        package = build_package(report, staging)
        user_blend = Path(req.snapshot.blend_path) if req.snapshot.blend_path else req.blend_copy
        bucket = input_bucket_name(user_blend)
        ensure_bucket(s3, bucket)

        def uploaded(snap: TransferSnapshot) -> None:
            self.post(msg.Upload(snap.fraction, f"Uploading: {describe(snap)}"))

        sync_package(s3, bucket, package, progress=uploaded, cancel=self.cancel)
        result_bucket = result_bucket_name(user_blend)
        ensure_bucket(s3, result_bucket)
        body = task_body(settings, package.main_blend, bucket, result_bucket, default_name=user_blend.stem)
        if self.cancel.is_set():  # uploaded but not submitted: nothing to abort on the farm
            raise TransferCancelled("cancelled before the task was submitted")
        task = farm.submit(body)
        self.task_uuid = task.uuid
        self.post(msg.Submitted(task.uuid, len(frames)))
        self.post(msg.Status(f"Submitted {len(frames)} frame(s) as task {task.uuid}"))
        state = self._follow(farm, s3, task.uuid, result_bucket)
        if state == "Success":
            self._carbon(farm, task.uuid)
        return f"task {task.uuid} ended: {state}"

    def _follow(self, farm: FarmClient, s3: Any, uuid: str, result_bucket: str) -> str:
        """Events drive progress and downloads; a quiet stream falls back to asking the farm."""
        dest = Path(self.request.snapshot.output_dir)
        naming = self.request.snapshot.frame_naming
        downloader = SceneNamedDownloader(
            s3, result_bucket, dest, cancel=self.cancel, on_outcome=self._downloaded, naming=naming
        ) if self.request.download else None  # fmt: skip
        inbox: queue.Queue[Any] = queue.Queue()
        stream = EventStream(farm.server, farm.token)
        stream.start(inbox.put, on_error=inbox.put)
        stream.connected.wait(CONNECT_WAIT_S)
        last_poll = time.monotonic()
        try:
            while True:
                if self.cancel.is_set():
                    farm.abort(uuid)
                    self.post(msg.Status(f"Cancelled task {uuid}"))
                    return "Cancelled"
                try:
                    event = inbox.get(timeout=CANCEL_POLL_S)
                except queue.Empty:
                    event = None
                if isinstance(event, Exception):
                    raise event
                ours = event is not None and event.task == uuid
                if ours:
                    self._on_event(event.kind, event.data, downloader)
                # A lost "task-state" event must not hang us: ask the farm every QUIET_CHECK_S as well.
                if (ours and event.kind == "task-state") or time.monotonic() - last_poll >= QUIET_CHECK_S:
                    last_poll = time.monotonic()
                    state = self._poll(farm, uuid)
                    if state in FINAL_STATES:
                        break
        finally:
            stream.close()
        if downloader is not None:
            downloader.sweep()  # events can be lost; the bucket listing cannot
        return state

    def _poll(self, farm: FarmClient, uuid: str) -> str:
        task = farm.task(uuid)
        self.post(msg.TaskState(task.state, task.frames_done, task.instance_count))
        return task.state

    def _on_event(self, kind: str, data: dict[str, Any], downloader: ResultDownloader | None) -> None:
        frame = data.get("frame")
        if kind == "frame-progress" and isinstance(frame, int):
            total = data.get("total") or 0
            self.post(msg.FrameProgress(frame, float(data.get("done", 0)) / float(total) if total else 0.0))
        elif kind == "frame-done" and downloader is not None:
            for key in data.get("outputs") or []:
                downloader.download(str(key))

    def _downloaded(self, outcome: Any) -> None:
        if outcome.status != "unchanged" and not outcome.key.startswith("previews/"):
            self.post(msg.FrameDownloaded(frame_of(outcome.key), str(outcome.path)))

    def _carbon(self, farm: FarmClient, uuid: str) -> None:
        try:
            facts = farm.carbon_facts(uuid)
        except HearthError as exc:
            self.post(msg.Notice(f"carbon facts unavailable: {exc.message}"))
            return
        self.post(msg.Carbon(carbon_lines(facts), dict(facts.raw)))


def download_results(
    login: FarmLogin,
    task_uuid: str,
    dest: Path,
    post: Post,
    cancel: threading.Event,
    *,
    naming: FrameNaming | None = None,
) -> None:
    """Sweeps a task's result bucket into `dest` (the scene's output folder)."""
    name = threading.current_thread().name
    try:
        farm = connect(login)
        task = farm.task(task_uuid)
        if not task.result_bucket:
            raise HearthError(f"task {task_uuid} has no result bucket; nothing to download")
        s3 = s3_client(StorageAccess.from_farm(farm))
        outcomes = SceneNamedDownloader(s3, task.result_bucket, dest, cancel=cancel, naming=naming).sweep()
        for outcome in outcomes:
            if outcome.status != "unchanged":
                post(msg.FrameDownloaded(frame_of(outcome.key), str(outcome.path)))
        post(msg.Finished(ok=True, text=f"{len(outcomes)} file(s) in {dest}", thread_name=name))
    except HearthError as exc:
        post(msg.Finished(ok=False, text=exc.message, thread_name=name))

"""Wires the session, the event stream, tasks, previews and result downloads; the widgets only call this."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QImage

from render_app.estimate import scale, scout_settings
from render_app.event_bridge import EventBridge
from render_app.history import HISTORY_LIMIT, task_from_json
from render_app.local_farm import LocalFarm
from render_app.models.frame_model import FrameModel
from render_app.models.node_model import NodeModel
from render_app.models.task_model import TaskModel
from render_app.ops import Ops
from render_app.renderer import renderer_problem
from render_app.scene_samples import saved_samples
from render_app.scenes import SceneManager
from render_app.session import Session, connect, connect_local, connect_saved
from render_app.state import NodeInfo, TaskInfo
from render_client.frames import parse_frames
from render_client.models import Task
from render_client.results import ResultDownloader
from render_client.submit import RenderSettings, input_bucket_name, result_bucket_name, task_body
from render_client.transfer import ensure_bucket

SAVED_FARM_KEY = "farm/url"
RESULT_ID_CHARS = 8


class Controller(QObject):
    connection = Signal(str)  # human-readable connection state for the status bar
    connected = Signal(object)  # Session
    warning = Signal(str)  # e.g. the token went to the 0600 file, not a keyring
    submitted = Signal(str)  # task uuid
    task_finished = Signal(str, str)  # uuid, final state
    downloaded = Signal(str, str)  # uuid, local path
    error = Signal(str)
    renderer_missing = Signal(str)  # what to do so that the local farm's nodes can render

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.ops = Ops(self)
        self.ops.error.connect(self.error)
        self.scenes = SceneManager(self.ops, self)
        self.tasks = TaskModel()
        self.nodes = NodeModel()
        self.frames = FrameModel()
        self.session: Session | None = None
        self.local_farm: LocalFarm | None = None
        self.bridge: EventBridge | None = None
        self.output_dir = Path.home() / "Hearth renders"
        self._downloaders: dict[str, ResultDownloader] = {}
        self._cancel_downloads = threading.Event()
        # scout task uuid -> (the settings to estimate, the scout's, the callback, the scene's .blend)
        self._estimates: dict[str, tuple[RenderSettings, RenderSettings, Any, Path | None]] = {}

    # -- connection ------------------------------------------------------------------------

    @property
    def local_farm_dir(self) -> Path:
        return self.data_dir / "farm"

    def local_farm_is_new(self) -> bool:
        """True until this app has started a local farm in its data dir (its first start here)."""
        return not self.local_farm_dir.exists()

    def start_local_farm(self, nodes: int = 2) -> None:
        self.connection.emit("Starting the local farm…")
        problem = renderer_problem()
        if problem:
            # The farm still starts (scenes can be traced and synced), but frames would fail one by one.
            self.renderer_missing.emit(problem)
        farm = LocalFarm(self.local_farm_dir, nodes, self)
        farm.ready.connect(self._local_ready)
        farm.failed.connect(self._local_failed)
        self.local_farm = farm
        farm.start()

    def _local_failed(self, message: str) -> None:
        self.connection.emit("Local farm failed")
        self.error.emit(message)

    def _local_ready(self, ready: dict[str, Any]) -> None:
        self.connection.emit(f"Local farm at {ready['url']}, logging in…")
        self.ops.run(lambda: connect_local(ready), self._connected, self._connect_failed)

    def connect_remote(self, url: str, token: str) -> None:
        self.connection.emit(f"Connecting to {url}…")
        self.ops.run(lambda: connect(url, token), self._connected, self._connect_failed)

    def connect_saved(self, url: str) -> None:
        """Reconnects to the last remote farm with the token from the keyring."""
        self.connection.emit(f"Connecting to {url}…")
        self.ops.run(lambda: connect_saved(url), self._connected, self._connect_failed)

    def _connect_failed(self, exc: Exception) -> None:
        self.connection.emit("Not connected")
        self.error.emit(f"Cannot connect: {exc}")

    def _connected(self, session: Session) -> None:
        self.session = session
        self.scenes.access = session.access
        kind = "Local farm" if session.local else "Farm"
        self.connection.emit(f"{kind} {session.url} — {session.email}")
        if session.stored is not None and session.stored.warning:
            self.warning.emit(session.stored.warning)
        self.bridge = EventBridge(session.url, session.token, self)
        self.bridge.farm_event.connect(self._on_event)
        self.bridge.error.connect(lambda msg: self.connection.emit(f"Event stream lost: {msg}"))
        self.bridge.start()
        self.refresh_nodes()
        self.load_history()
        if not session.local:
            QSettings().setValue(SAVED_FARM_KEY, session.url)  # the URL only; the token is in the keyring
        self.connected.emit(session)

    def refresh_nodes(self) -> None:
        if self.session is None:
            return
        farm = self.session.farm

        def done(nodes: list[Any]) -> None:
            for node in nodes:
                info = NodeInfo(
                    node.name,
                    node.state,
                    node.power_w,
                    node.room_c,
                    node.setpoint_c,
                    frame=node.frame,
                    online=node.online,
                )
                self.nodes.replace(node.name, info)

        self.ops.run(farm.nodes, done)

    def load_history(self) -> None:
        """Lists the farm's earlier tasks (other sessions too), newest on top, for resubmit and results."""
        if self.session is None:
            return
        farm = self.session.farm

        def work() -> list[TaskInfo]:
            summaries = sorted(farm.tasks(), key=lambda t: t.created)[-HISTORY_LIMIT:]
            found = (task_from_json(farm.task_json(t.uuid)) for t in summaries)
            return [task for task in found if task is not None]

        def done(tasks: list[TaskInfo]) -> None:
            for task in tasks:  # oldest first: each insert goes on top
                self.tasks.add(task)

        self.ops.run(work, done, lambda exc: self.error.emit(f"Cannot list the farm's tasks: {exc}"))

    # -- tasks -----------------------------------------------------------------------------

    def resubmit(self, uuid: str) -> None:
        """Submits an earlier task again: from its scene when it is open here, else with the same inputs."""
        task = self.tasks.task(uuid)
        if task is None or self.session is None:
            return
        settings = task.settings.get("settings")
        scene_open = task.scene is not None and str(task.scene) in self.scenes.scenes
        if scene_open and isinstance(settings, RenderSettings):
            self.submit(str(task.scene), settings)
            return
        body = task.settings.get("body")
        if not isinstance(body, dict):
            self.error.emit(f"{task.name} cannot be resubmitted: open its scene and submit it.")
            return
        farm, s3 = self.session.farm, self.session.s3

        def work() -> tuple[Task, dict[str, Any]]:
            bucket = result_bucket_name(Path(task.name or "task"))  # a fresh bucket: new results folder
            ensure_bucket(s3, bucket)
            again = {**body, "resultBucket": bucket}
            return farm.submit(again), again

        def done(found: tuple[Task, dict[str, Any]]) -> None:
            created, again = found
            info = TaskInfo(
                created.uuid,
                created.name,
                created.state,
                list(task.frames),
                again["resultBucket"],
                task.scene,
                {**task.settings, "body": again},
            )
            self.tasks.add(info)
            self.submitted.emit(info.uuid)

        self.ops.run(work, done)

    def submit(
        self, scene_key: str, settings: RenderSettings, *, scout: bool = False, then: Any = None
    ) -> None:
        """Syncs the scene in its child process (with progress and cancel), then creates the task.

        The task creation itself uploads nothing: the input bucket already holds the synced package.
        A watched scene that is synced is current (it resyncs on change), so it is submitted at once.
        """
        scene = self.scenes.scenes[scene_key]
        if self.session is None or scene.report is None:
            self.error.emit("Connect to a farm and open a scene first.")
            return
        if scene.report.missing and not scene.allow_missing:
            self.error.emit(
                f"{len(scene.report.missing)} file(s) of {scene.name} are missing: relink them in Blender, "
                "or tick “Render without missing files”."
            )
            return

        def create() -> None:
            self._create_task(scene_key, settings, scout, then)

        if scene.watch and scene.sync_state == "Synced":
            create()
        else:
            self.scenes.sync(scene_key, then=create, failed=self.error.emit)

    def _create_task(self, scene_key: str, settings: RenderSettings, scout: bool, then: Any) -> None:
        scene = self.scenes.scenes[scene_key]
        if self.session is None or scene.report is None:
            return
        farm, s3, main_blend = self.session.farm, self.session.s3, scene.report.main_blend

        def work() -> tuple[Task, str]:
            result_bucket = result_bucket_name(scene.path)  # a fresh one per task
            ensure_bucket(s3, result_bucket)
            body = task_body(settings, main_blend, input_bucket_name(scene.path), result_bucket, scene.name)
            return farm.submit(body), result_bucket

        def done(created_in: tuple[Task, str]) -> None:
            created, result_bucket = created_in
            task = TaskInfo(
                created.uuid,
                created.name,
                created.state,
                parse_frames(settings.frames),
                result_bucket,
                scene.path,
                {"settings": settings},
                scout=scout,
            )
            self.tasks.add(task)
            if then is not None:
                then(task)
            self.submitted.emit(task.uuid)

        self.ops.run(work, done)

    def estimate(self, scene_key: str, settings: RenderSettings, on_text: Any) -> None:
        """Submits a scout task; when it ends, `on_text` gets the scaled-up estimate (or why not)."""
        scout = scout_settings(settings, parse_frames(settings.frames)[0])
        report = self.scenes.scenes[scene_key].report
        blend = report.root / report.main_blend if report is not None else None

        def remember(task: TaskInfo) -> None:
            self._estimates[task.uuid] = (settings, scout, on_text, blend)

        self.submit(scene_key, scout, scout=True, then=remember)

    def _finish_estimate(self, task: TaskInfo) -> None:
        settings, scout, on_text, blend = self._estimates.pop(task.uuid)
        done = [f for f in task.frame_info.values() if f.state == "Done"]
        if task.state != "Success" or not done or self.session is None:
            on_text(f"No estimate: the scout frame ended {task.state}.")
            return
        frame, farm = done[0], self.session.farm
        nodes = max(1, sum(1 for n in self.nodes.nodes if n.online))

        def work() -> tuple[Any, int | None]:
            # "As saved" samples: the scene's own count, read from the .blend (the scout used 4).
            samples = None
            if settings.samples is None and blend is not None:
                samples = saved_samples(blend, settings.scene_name)
            return farm.carbon_facts(task.uuid), samples

        def done_facts(found: tuple[Any, int | None]) -> None:
            facts, samples = found
            task.carbon = dict(facts.raw)
            result = scale(
                settings,
                scout,
                time_s=frame.render_time_s or 0.0,
                energy_wh=frame.energy_wh or 0.0,
                carbon=task.carbon,
                nodes=nodes,
                saved_samples=samples,
            )
            on_text(result.text())

        self.ops.run(work, done_facts, lambda exc: on_text(f"No estimate: {exc}"))

    def cancel_task(self, uuid: str) -> None:
        if self.session is not None:
            self.ops.run(lambda: self.session.farm.abort(uuid) if self.session else None)

    def _on_event(self, kind: str, task_uuid: str, data: dict[str, Any]) -> None:
        if kind == "node-telemetry":
            self.nodes.telemetry(str(data.get("node", "")), data)
            return
        task = self.tasks.task(task_uuid)
        if task is None:
            return
        was_final = task.is_final
        changed = task.apply(kind, data)
        if kind == "carbon-facts" or (kind == "task-state" and task.is_final):
            self._fetch_carbon(task)
        if self.frames.task is task:
            self.frames.changed(changed)
        self.tasks.touch(task.uuid)
        if kind == "preview-ready" and isinstance(data.get("frame"), int):
            self._fetch_preview(task, int(data["frame"]), data.get("preview") == "final")
        if kind == "frame-done":
            if self.frames.task is task:
                self._fetch_preview(task, int(data["frame"]), True)
            self._download(task, [str(k) for k in data.get("outputs") or []])
        if task.is_final and not was_final:
            if task.uuid in self._estimates:
                self._finish_estimate(task)
            self._download(task, None)
            self.task_finished.emit(task.uuid, task.state)

    def _fetch_carbon(self, task: TaskInfo) -> None:
        if self.session is None:
            return
        farm = self.session.farm

        def done(facts: Any) -> None:
            task.carbon = dict(facts.raw)
            self.tasks.touch(task.uuid)

        self.ops.run(lambda: farm.carbon_facts(task.uuid), done, lambda _exc: None)

    def _fetch_preview(self, task: TaskInfo, frame: int, final: bool) -> None:
        if self.session is None or self.frames.task is not task:
            return
        farm = self.session.farm

        def work() -> QImage:
            # Decoding happens here, off the GUI thread; only QImage crosses threads.
            return QImage.fromData(farm.preview(task.uuid, frame))

        def done(image: QImage) -> None:
            if not image.isNull() and self.frames.task is task:
                self.frames.set_image(frame, image, final)

        self.ops.run(work, done, lambda _exc: None)

    def show_task(self, task: TaskInfo | None) -> None:
        self.frames.set_task(task)
        if task is None:
            return
        for number, info in task.frame_info.items():
            if info.state in ("Done", "Rendering"):
                self._fetch_preview(task, number, info.state == "Done")
        if task.is_final:
            self._fetch_carbon(task)

    def _download(self, task: TaskInfo, keys: list[str] | None) -> None:
        """Downloads frames as they finish; `keys=None` sweeps the whole result bucket."""
        if self.session is None or not task.result_bucket or task.scout:
            return
        downloader = self._downloaders.get(task.uuid)
        if downloader is None:
            dest = self.results_folder(task)
            downloader = ResultDownloader(
                self.session.s3, task.result_bucket, dest, cancel=self._cancel_downloads
            )
            self._downloaders[task.uuid] = downloader

        def work() -> list[str]:
            if keys is None:
                return [str(o.path) for o in downloader.sweep()]
            return [str(downloader.download(key).path) for key in keys]

        def done(paths: list[str]) -> None:
            for path in paths:
                self.downloaded.emit(task.uuid, path)

        self.ops.run(work, done)

    def results_folder(self, task: TaskInfo) -> Path:
        """One folder per task, so a resubmit never overwrites the frames of an earlier run."""
        return self.output_dir / f"{task.name}-{task.uuid[:RESULT_ID_CHARS]}"

    def fetch_log(self, uuid: str, on_done: Any) -> None:
        if self.session is None:
            return
        farm = self.session.farm
        self.ops.run(lambda: (farm.stdout(uuid), farm.stderr(uuid)), on_done, lambda _exc: None)

    # -- shutdown --------------------------------------------------------------------------

    def shutdown(self) -> None:
        self._cancel_downloads.set()
        self.scenes.shutdown()
        if self.bridge is not None:
            self.bridge.close()
        self.ops.shutdown()
        if self.local_farm is not None:
            self.local_farm.stop()

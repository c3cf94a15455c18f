"""Scenes the user opened: trace (packaging report), sync with progress and cancel, watch folders."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from render_app.ops import Ops
from render_app.sync_process import SyncProcess
from render_client.packing import trace
from render_client.packing_report import PackReport
from render_client.progress import TransferSnapshot
from render_client.submit import input_bucket_name
from render_client.transfer import StorageAccess

WATCH_DEBOUNCE_MS = 1500


@dataclass
class Scene:
    path: Path
    report: PackReport | None = None
    sync_state: str = "Not synced"  # Tracing | Not synced | Syncing | Synced | Cancelled | Failed
    snapshot: TransferSnapshot | None = None
    watch: bool = False
    submit_on_change: bool = False
    allow_missing: bool = False  # "Render without missing files": pack the scene anyway
    error: str = ""
    changed_while_syncing: bool = False  # a watched scene changed during its sync: resync after it

    @property
    def name(self) -> str:
        return self.path.stem if self.path.suffix == ".blend" else self.path.name


class _Relay(FileSystemEventHandler):
    """Runs on watchdog's thread: only emits a signal (queued to the GUI thread)."""

    def __init__(self, emit: Any, key: str) -> None:
        self._emit = emit
        self._key = key

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self._emit(self._key)


class SceneManager(QObject):
    changed = Signal(str)  # scene key: the report, sync state or progress changed
    added = Signal(str)
    resubmit = Signal(str)  # a watched scene with "submit on change" finished syncing
    _fs_event = Signal(str)

    def __init__(self, ops: Ops, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.scenes: dict[str, Scene] = {}
        self.access: StorageAccess | None = None
        self._syncs: dict[str, SyncProcess] = {}
        # Callbacks waiting for a scene's running sync: (on success, on failure with the reason).
        self._waiting: dict[str, list[tuple[Any, Any]]] = {}
        self.staging = Path(tempfile.mkdtemp(prefix="hearth-app-staging-"))
        self._observer: Any = None
        self._watches: dict[str, Any] = {}
        self._timers: dict[str, QTimer] = {}
        self._fs_event.connect(self._debounce)

    def open(self, path: Path) -> str:
        key = str(path.absolute())
        if key not in self.scenes:
            self.scenes[key] = Scene(path.absolute(), sync_state="Tracing")
            self.added.emit(key)
        self.retrace(key)
        return key

    def retrace(self, key: str) -> None:
        scene = self.scenes[key]

        def done(report: PackReport) -> None:
            scene.report, scene.error = report, ""
            if scene.sync_state == "Tracing":
                scene.sync_state = "Not synced"
            self.changed.emit(key)

        def failed(exc: Exception) -> None:
            scene.sync_state, scene.error = "Failed", f"cannot read the scene: {exc}"
            self.changed.emit(key)

        self.ops.run(lambda: trace(scene.path), done, failed)

    def sync(self, key: str, then: Any = None, failed: Any = None) -> None:
        """Syncs in a child process; `then()` runs once synced, `failed(reason)` if not.

        Asked again while a sync runs, it waits for that sync instead of starting a second one.
        """
        scene = self.scenes[key]
        if then is not None or failed is not None:
            self._waiting.setdefault(key, []).append((then, failed))
        if scene.sync_state == "Syncing":
            return
        if self.access is None or scene.report is None:
            self._settle(key, False, "connect to a farm and let the scene be read first")
            return
        scene.sync_state, scene.snapshot, scene.error = "Syncing", None, ""
        self.changed.emit(key)
        access = self.access
        job = {
            "scene": str(scene.path),
            "staging": str(self.staging / str(abs(hash(key)))),
            "bucket": input_bucket_name(scene.path),
            "url": access.url,
            "access_key": access.access_key,
            "secret_key": access.secret_key,
            "verify": access.verify,
            "allow_missing": scene.allow_missing,
        }
        process = SyncProcess(job, self)
        self._syncs[key] = process

        def progress(snap: TransferSnapshot) -> None:
            scene.snapshot = snap
            self.changed.emit(key)

        def finished(ok: bool, error: str) -> None:
            self._syncs.pop(key, None)
            process.deleteLater()
            if ok:
                scene.sync_state = "Synced"
            else:
                scene.sync_state = "Cancelled" if process.cancelled and not error else "Failed"
                scene.error = error
            self.changed.emit(key)
            self._settle(key, ok, error or scene.sync_state.lower())
            if scene.changed_while_syncing:
                scene.changed_while_syncing = False
                self._resync(key)

        process.progress.connect(progress)
        process.finished.connect(finished)
        process.start()

    def _settle(self, key: str, ok: bool, reason: str) -> None:
        for then, failed in self._waiting.pop(key, []):
            if ok and then is not None:
                then()
            elif not ok and failed is not None:
                failed(f"the scene did not sync: {reason}")

    def cancel(self, key: str) -> None:
        process = self._syncs.get(key)
        if process is not None:
            process.cancel()

    # -- watch folders ---------------------------------------------------------------------

    def set_watch(self, key: str, watch: bool, submit_on_change: bool = False) -> None:
        scene = self.scenes[key]
        scene.watch, scene.submit_on_change = watch, submit_on_change
        if watch and key not in self._watches:
            if self._observer is None:
                self._observer = Observer()
                self._observer.daemon = True
                self._observer.start()
            folder = scene.path if scene.path.is_dir() else scene.path.parent
            relay = _Relay(self._fs_event.emit, key)
            self._watches[key] = self._observer.schedule(relay, str(folder), recursive=True)
        elif not watch and key in self._watches:
            self._observer.unschedule(self._watches.pop(key))
        self.changed.emit(key)

    def _debounce(self, key: str) -> None:
        # Saving a .blend writes several files in bursts: resync once things are quiet.
        timer = self._timers.get(key)
        if timer is None:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(WATCH_DEBOUNCE_MS)
            timer.timeout.connect(lambda: self._resync(key))
            self._timers[key] = timer
        timer.start()

    def _resync(self, key: str) -> None:
        scene = self.scenes.get(key)
        if scene is None or not scene.watch:
            return
        if scene.sync_state == "Syncing":
            scene.changed_while_syncing = True  # one resync when this sync ends, not a second process
            return
        scene.sync_state = "Tracing"
        self.changed.emit(key)

        def traced(report: PackReport) -> None:
            scene.report = report
            if scene.sync_state == "Syncing":  # the user started a sync meanwhile
                scene.changed_while_syncing = True
                return
            scene.sync_state = "Not synced"
            then = (lambda: self.resubmit.emit(key)) if scene.submit_on_change else None
            self.sync(key, then)

        self.ops.run(lambda: trace(scene.path), traced)

    def shutdown(self) -> None:
        for process in list(self._syncs.values()):
            process.stop()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)

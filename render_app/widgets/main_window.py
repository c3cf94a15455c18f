"""The main window: connect page, scenes with drag-and-drop, tasks with detail, fleet, status bar."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from render_app.controller import Controller
from render_app.paths import demo_scene
from render_app.session import Session
from render_app.state import TaskInfo
from render_app.tray import Tray
from render_app.widgets.connect_page import ConnectPage
from render_app.widgets.drop_zone import DropZone, scene_paths
from render_app.widgets.fleet_view import FleetView
from render_app.widgets.scene_panel import ScenePanel
from render_app.widgets.submit_dialog import SubmitDialog
from render_app.widgets.task_detail import TaskDetail
from render_app.widgets.task_list import TaskList
from render_client.frames import format_frames
from render_client.submit import RenderSettings

LOG_REFRESH_MS = 1000
# The first-start demo renders a few frames by itself: the first render appears without another click.
DEMO_SETTINGS = RenderSettings(frames="1-4", name="Demo")


class MainWindow(QMainWindow):
    # Scenes dropped anywhere on the window (the drop zone has its own signal, routed the same way).
    pathsDropped = Signal(list)  # noqa: N815 (Qt signal naming)

    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.setAccessibleName("Hearth")
        self.setWindowTitle("Hearth — render farm that heats homes")
        self.resize(1280, 800)
        self.controller = controller
        self.dialog: SubmitDialog | None = None
        self._open_demo = False
        self._demo_key: str | None = None  # the demo scene, until its first task is submitted
        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")
        self.pages.setAccessibleName("Pages")
        self.connect_page = ConnectPage()
        self.pages.addWidget(self.connect_page)
        self.pages.addWidget(self._workspace())
        self.setCentralWidget(self.pages)
        self._menus()
        self._status_bar()
        self.tray = Tray(self.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon), self)
        self._log_timer = QTimer(self)
        self._log_timer.setSingleShot(True)
        self._log_timer.setInterval(LOG_REFRESH_MS)
        self._log_timer.timeout.connect(self._refresh_log)
        self._wire()

    # -- construction ----------------------------------------------------------------------

    def _workspace(self) -> QWidget:
        c = self.controller
        self.drop_zone = DropZone()
        self.scene_panel = ScenePanel(c.scenes)
        self.warning_banner = QLabel()
        self.warning_banner.setObjectName("credentialWarning")
        self.warning_banner.setAccessibleName("Warning")
        self.warning_banner.setWordWrap(True)
        self.warning_banner.setStyleSheet("background:#78350f; color:#fde68a; padding:6px;")
        self.warning_banner.hide()
        left = QWidget()
        left.setObjectName("scenesColumn")
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.drop_zone)
        left_layout.addWidget(self.scene_panel, 1)
        self.task_list = TaskList(c.tasks)
        self.task_detail = TaskDetail(c.frames)
        tasks = QSplitter(Qt.Orientation.Vertical)
        tasks.setObjectName("taskSplitter")
        tasks.addWidget(self.task_list)
        tasks.addWidget(self.task_detail)
        tasks.setSizes([180, 520])
        self.fleet_view = FleetView(c.nodes)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setAccessibleName("Views")
        self.tabs.addTab(tasks, "Tasks")
        self.tabs.addTab(self.fleet_view, "Fleet")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("mainSplitter")
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setSizes([420, 860])
        page = QWidget()
        page.setObjectName("workspace")
        page.setAccessibleName("Workspace")
        layout = QVBoxLayout(page)
        layout.addWidget(self.warning_banner)
        layout.addWidget(split, 1)
        return page

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action(
            file_menu, "&Open scene…", QKeySequence.StandardKey.Open, self.choose_scene
        )
        self._action(file_menu, "Open scene &folder…", None, self.choose_folder)
        self._action(file_menu, "&Results folder…", None, self.choose_output)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        view = self.menuBar().addMenu("&View")
        self._action(view, "&Tasks", None, lambda: self.tabs.setCurrentIndex(0))
        self._action(view, "&Fleet", None, lambda: self.tabs.setCurrentIndex(1))

    def _action(self, menu: Any, text: str, keys: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        if keys is not None:
            action.setShortcut(keys)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _status_bar(self) -> None:
        self.connection_label = QLabel("Not connected")
        self.connection_label.setObjectName("connectionStatus")
        self.connection_label.setAccessibleName("Connection status")
        self.farm_label = QLabel("")
        self.farm_label.setObjectName("farmStatus")
        self.farm_label.setAccessibleName("Farm status")
        self.statusBar().addWidget(self.connection_label, 1)
        self.statusBar().addPermanentWidget(self.farm_label)

    def _wire(self) -> None:
        c = self.controller
        page = self.connect_page
        page.localRequested.connect(self.start_local)
        page.demoRequested.connect(self.start_demo)
        page.remoteRequested.connect(self._remote)
        c.connection.connect(self.connection_label.setText)
        c.connected.connect(self._connected)
        c.warning.connect(self._warn)
        c.renderer_missing.connect(self._renderer_missing)
        c.error.connect(self._error)
        c.task_finished.connect(self._finished)
        c.tasks.dataChanged.connect(lambda *_: self._task_changed())
        c.nodes.dataChanged.connect(lambda *_: self._farm_state())
        c.nodes.rowsInserted.connect(lambda *_: self._farm_state())
        self.drop_zone.pathsDropped.connect(self.open_paths)
        self.pathsDropped.connect(self.open_paths)
        self.scene_panel.submitRequested.connect(self.show_submit)
        self.task_list.taskSelected.connect(self._select_task)
        self.task_detail.cancelRequested.connect(c.cancel_task)
        self.task_detail.retryRequested.connect(self._retry)
        self.task_detail.resubmitRequested.connect(self._resubmit)
        self.task_detail.openResultsRequested.connect(self._open_results)
        c.scenes.resubmit.connect(self._submit_on_change)
        c.scenes.changed.connect(self._demo_traced)

    # -- connection ------------------------------------------------------------------------

    def start_local(self) -> None:
        self.connect_page.set_busy(True)
        self.controller.start_local_farm()

    def start_demo(self) -> None:
        self._open_demo = True
        self.start_local()

    def _remote(self, url: str, token: str) -> None:
        self.connect_page.set_busy(True)
        self.controller.connect_remote(url, token)

    def _connected(self, _session: Session) -> None:
        self.pages.setCurrentIndex(1)
        if self._open_demo:
            self._open_demo = False
            self._demo_key = self.controller.scenes.open(demo_scene())

    def _demo_traced(self, key: str) -> None:
        scene = self.controller.scenes.scenes.get(key)
        if key != self._demo_key or scene is None or scene.report is None:
            return
        self._demo_key = None
        self.controller.submit(key, DEMO_SETTINGS)  # syncs first, then submits

    def _warn(self, text: str) -> None:
        self.warning_banner.setText("⚠ " + text)
        self.warning_banner.show()

    def _renderer_missing(self, text: str) -> None:
        self._warn(text)
        self.connect_page.show_problem(text)

    def _error(self, text: str) -> None:
        self.connect_page.set_busy(False)
        self.statusBar().showMessage(text.splitlines()[0] if text else "", 15000)
        self.connection_label.setToolTip(text)

    # -- scenes ----------------------------------------------------------------------------

    def open_paths(self, paths: list[Path]) -> None:
        for path in paths:
            self.controller.scenes.open(Path(path))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        # Qt offers the drag to the widget under the pointer, then to its parents: this is the last one.
        if self.pages.currentIndex() == 1 and scene_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        paths = scene_paths(event)
        if paths:
            event.acceptProposedAction()
            self.pathsDropped.emit(paths)

    def choose_scene(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a Blender scene", "", "Blender scenes (*.blend)")
        if path:
            self.open_paths([Path(path)])

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a scene folder")
        if path:
            self.open_paths([Path(path)])

    def choose_output(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Download results to", str(self.controller.output_dir))
        if path:
            self.controller.output_dir = Path(path)

    def show_submit(self, key: str) -> SubmitDialog:
        scene = self.controller.scenes.scenes[key]
        dialog = SubmitDialog(key, scene.name, self)
        dialog.accepted.connect(lambda: self.controller.submit(key, dialog.settings()))
        dialog.estimateRequested.connect(lambda s: self.controller.estimate(key, s, dialog.show_estimate))
        self.dialog = dialog
        dialog.open()  # window-modal without a nested event loop
        return dialog

    def _submit_on_change(self, key: str) -> None:
        task = next((t for t in self.controller.tasks.tasks if str(t.scene) == key and not t.scout), None)
        settings = task.settings.get("settings") if task else None
        if isinstance(settings, RenderSettings):
            self.controller.submit(key, settings)

    # -- tasks -----------------------------------------------------------------------------

    def _select_task(self, task: TaskInfo | None) -> None:
        self.controller.show_task(task)
        self.task_detail.show_task(task)
        self._refresh_log()

    def _task_changed(self) -> None:
        self.task_detail.refresh()
        self._farm_state()
        if not self._log_timer.isActive():
            self._log_timer.start()  # at most one stdout fetch per second, only while events arrive

    def _refresh_log(self) -> None:
        task = self.task_detail.task
        if task is not None:
            self.controller.fetch_log(task.uuid, lambda logs: self._show_log(task, logs))

    def _show_log(self, task: TaskInfo, logs: tuple[str, str]) -> None:
        if self.task_detail.task is task:
            self.task_detail.set_log(*logs)

    def _farm_state(self) -> None:
        tasks = self.controller.tasks.tasks
        running = sum(1 for t in tasks if not t.is_final)
        nodes = self.controller.nodes.nodes
        busy = sum(1 for n in nodes if n.frame is not None)
        self.farm_label.setText(f"{len(nodes)} nodes ({busy} busy) · {running} task(s) running")

    def _task_settings(self, uuid: str) -> tuple[TaskInfo, RenderSettings] | None:
        task = self.controller.tasks.task(uuid)
        settings = task.settings.get("settings") if task else None
        if task is None or task.scene is None or not isinstance(settings, RenderSettings):
            return None
        return task, settings

    def _retry(self, uuid: str) -> None:
        found = self._task_settings(uuid)
        if found and found[0].failed_frames:
            task, settings = found
            retry = replace(settings, frames=format_frames(task.failed_frames))
            self.controller.submit(str(task.scene), retry)

    def _resubmit(self, uuid: str) -> None:
        self.controller.resubmit(uuid)

    def _open_results(self, uuid: str) -> None:
        task = self.controller.tasks.task(uuid)
        if task is not None:
            folder = self.controller.results_folder(task)
            folder.mkdir(parents=True, exist_ok=True)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _finished(self, uuid: str, state: str) -> None:
        self._log_timer.start()  # the last lines of output arrive with the final state
        task = self.controller.tasks.task(uuid)
        if task is None or task.scout:
            return
        self.tray.notify(
            f"Task {state.lower()}",
            f"{task.name}: {task.done}/{task.total} frames",
            failed=state != "Success",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.controller.shutdown()
        if self.tray.icon is not None:
            self.tray.icon.hide()
        super().closeEvent(event)


def app_icon() -> QIcon:
    return QIcon()

"""The opened scenes: packaging report, sync state and progress with cancel, watch options."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from render_app.scenes import Scene, SceneManager
from render_app.state import format_duration
from render_client.packing_report import format_report
from render_client.progress import human_bytes

REPORT_MAX_LINES = 200


def describe_sync(scene: Scene) -> str:
    snap = scene.snapshot
    if scene.sync_state != "Syncing" or snap is None:
        return scene.sync_state + (f": {app_hints(scene.error)}" if scene.error else "")
    rate = f"{human_bytes(snap.rate_bps)}/s" if snap.rate_bps else "—"
    return (
        f"Syncing {human_bytes(snap.bytes_done)} of {human_bytes(snap.bytes_total)}, "
        f"{snap.files_done}/{snap.files_total} files, {rate}, ETA {format_duration(snap.eta_s)}"
    )


def app_hints(text: str) -> str:
    """The packing report speaks to CLI users; in the app the override is a check box."""
    return text.replace("submit with --allow-missing", "tick “Render without missing files”")


def _short(text: str, max_lines: int = REPORT_MAX_LINES) -> str:
    """Thousands of file lines would only slow the view down; the totals are on the first lines."""
    lines = text.splitlines()
    if len(lines) <= max_lines:
        return text
    return "\n".join([*lines[:max_lines], f"… and {len(lines) - max_lines} more lines"])


class ScenePanel(QWidget):
    submitRequested = Signal(str)  # noqa: N815 (Qt signal naming)

    def __init__(self, scenes: SceneManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scenePanel")
        self.setAccessibleName("Scenes")
        self.scenes = scenes
        self.list = QListWidget()
        self.list.setObjectName("sceneList")
        self.list.setAccessibleName("Scene list")
        self.list.setMaximumHeight(110)
        self.report = QPlainTextEdit()
        self.report.setObjectName("packReport")
        self.report.setAccessibleName("Packaging report")
        self.report.setReadOnly(True)
        self.sync_label = QLabel("Open a scene to see what it needs.")
        self.sync_label.setObjectName("syncState")
        self.sync_label.setAccessibleName("Sync state")
        self.sync_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("syncProgress")
        self.progress.setAccessibleName("Sync progress")
        self.progress.setRange(0, 1000)
        self.sync_button = self._button("Sync", "syncScene", "Sync scene")
        self.cancel_button = self._button("Cancel", "cancelSync", "Cancel sync")
        self.submit_button = self._button("Submit…", "submitScene", "Submit scene")
        self.submit_button.setProperty("accent", True)
        self.watch_box = QCheckBox("Watch folder")
        self.watch_box.setObjectName("watchScene")
        self.watch_box.setAccessibleName("Watch scene folder")
        self.auto_box = QCheckBox("Submit on change")
        self.auto_box.setObjectName("submitOnChange")
        self.auto_box.setAccessibleName("Submit on change")
        self.allow_missing_box = QCheckBox("Render without missing files")
        self.allow_missing_box.setObjectName("allowMissing")
        self.allow_missing_box.setAccessibleName("Render without missing files")
        self.allow_missing_box.setToolTip(
            "Submit anyway: Blender renders the scene without the missing files."
        )
        self.allow_missing_box.hide()

        buttons = QHBoxLayout()
        for widget in (self.sync_button, self.cancel_button, self.watch_box, self.auto_box):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.allow_missing_box)
        layout.addWidget(self.sync_label)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)

        self.sync_button.clicked.connect(lambda: self._with_scene(self.scenes.sync))
        self.cancel_button.clicked.connect(lambda: self._with_scene(self.scenes.cancel))
        self.submit_button.clicked.connect(lambda: self._with_scene(self.submitRequested.emit))
        self.watch_box.toggled.connect(self._watch)
        self.auto_box.toggled.connect(self._watch)
        self.allow_missing_box.toggled.connect(self._allow_missing)
        self.list.currentItemChanged.connect(lambda *_: self.refresh())
        scenes.added.connect(self._added)
        scenes.changed.connect(self._changed)
        self.refresh()

    def _button(self, text: str, name: str, accessible: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        return button

    def _with_scene(self, action: Callable[[str], object]) -> None:
        if self.key():
            action(self.key())

    def key(self) -> str:
        item = self.list.currentItem()
        return str(item.data(256)) if item is not None else ""

    def _added(self, key: str) -> None:
        item = QListWidgetItem(self.scenes.scenes[key].name)
        item.setData(256, key)
        item.setToolTip(key)
        self.list.addItem(item)
        self.list.setCurrentItem(item)

    def _changed(self, key: str) -> None:
        if key == self.key():
            self.refresh()

    def _watch(self) -> None:
        if self.key():
            self.scenes.set_watch(self.key(), self.watch_box.isChecked(), self.auto_box.isChecked())

    def _allow_missing(self, allow: bool) -> None:
        scene = self.scenes.scenes.get(self.key())
        if scene is not None:
            scene.allow_missing = allow
            self.refresh()

    def refresh(self) -> None:
        scene = self.scenes.scenes.get(self.key())
        self.watch_box.setEnabled(scene is not None)
        self.auto_box.setEnabled(scene is not None)
        if scene is None:
            for button in (self.sync_button, self.cancel_button, self.submit_button):
                button.setEnabled(False)
            return
        self.sync_button.setEnabled(scene.report is not None and scene.sync_state != "Syncing")
        self.cancel_button.setEnabled(scene.sync_state == "Syncing")
        missing = bool(scene.report and scene.report.missing)
        self.submit_button.setEnabled(scene.report is not None and (not missing or scene.allow_missing))
        self.allow_missing_box.setVisible(missing)
        text = _short(app_hints(format_report(scene.report))) if scene.report else "Reading the scene…"
        if text != self.report.toPlainText():
            self.report.setPlainText(text)
        self.sync_label.setText(describe_sync(scene))
        done = scene.sync_state == "Synced"
        fraction = 1.0 if done else (scene.snapshot.fraction if scene.snapshot else 0.0)
        self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(f"{fraction * 100:.0f} %")
        checks = (
            (self.watch_box, scene.watch),
            (self.auto_box, scene.submit_on_change),
            (self.allow_missing_box, scene.allow_missing),
        )
        for box, value in checks:
            box.blockSignals(True)
            box.setChecked(value)
            box.blockSignals(False)

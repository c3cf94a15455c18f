"""One task: actions, the frame grid, per-frame stats, live stdout/stderr and the carbon facts."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from render_app.models.frame_model import FrameModel, FrameRole
from render_app.state import TaskInfo, format_duration
from render_app.widgets.carbon_panel import CarbonPanel
from render_app.widgets.frame_grid import FrameGrid

LOG_BOTTOM_SLACK = 2  # scroll steps from the end that still count as "following the output"
TITLE_MARGIN_PX = 8


class TaskDetail(QWidget):
    cancelRequested = Signal(str)  # noqa: N815 (Qt signal naming)
    retryRequested = Signal(str)  # noqa: N815
    resubmitRequested = Signal(str)  # noqa: N815
    openResultsRequested = Signal(str)  # noqa: N815

    def __init__(self, frames: FrameModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("taskDetail")
        self.setAccessibleName("Task detail")
        self.task: TaskInfo | None = None
        self.title = QLabel("Select a task")
        self.title.setObjectName("taskTitle")
        self.title.setAccessibleName("Task title")
        self.cancel_button = self._button("Cancel", "cancelTask", "Cancel task", self.cancelRequested)
        self.retry_button = self._button(
            "Retry failed", "retryFailed", "Retry failed frames", self.retryRequested
        )
        self.resubmit_button = self._button(
            "Resubmit", "resubmitTask", "Resubmit task", self.resubmitRequested
        )
        self.open_button = self._button(
            "Open results", "openResults", "Open results folder", self.openResultsRequested
        )
        self.grid = FrameGrid(frames)
        self.frame_stats = QLabel("")
        self.frame_stats.setObjectName("frameStats")
        self.frame_stats.setAccessibleName("Frame statistics")
        self.log = QPlainTextEdit()
        self.log.setObjectName("taskLog")
        self.log.setAccessibleName("Task output")
        self.log.setReadOnly(True)
        self.carbon = CarbonPanel()

        actions = QHBoxLayout()
        actions.setContentsMargins(TITLE_MARGIN_PX, TITLE_MARGIN_PX // 2, 0, 0)
        actions.addWidget(self.title, 1)
        for button in (self.cancel_button, self.retry_button, self.resubmit_button, self.open_button):
            actions.addWidget(button)
        lower = QSplitter(Qt.Orientation.Horizontal)
        grid_box = QWidget()
        grid_layout = QVBoxLayout(grid_box)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.addWidget(self.grid, 1)
        grid_layout.addWidget(self.frame_stats)
        lower.addWidget(grid_box)
        lower.addWidget(self.carbon)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(actions)
        layout.addWidget(lower, 3)
        layout.addWidget(self.log, 1)
        self.grid.selectionModel().currentChanged.connect(lambda current, _p: self._frame_stats(current))
        self.show_task(None)

    def _button(self, text: str, name: str, accessible: str, signal: SignalInstance) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.clicked.connect(lambda: self._emit_for_task(signal))
        return button

    def _emit_for_task(self, signal: SignalInstance) -> None:
        if self.task is not None:
            signal.emit(self.task.uuid)

    def show_task(self, task: TaskInfo | None) -> None:
        self.task = task
        self.log.setPlainText("")
        self.refresh()

    def refresh(self) -> None:
        task = self.task
        for button in (self.cancel_button, self.retry_button, self.resubmit_button, self.open_button):
            button.setEnabled(task is not None)
        if task is None:
            self.title.setText("Select a task to see its frames")
            self.carbon.set_facts({})
            return
        self.cancel_button.setEnabled(not task.is_final)
        self.retry_button.setEnabled(bool(task.failed_frames))
        self.title.setText(
            f"<b>{task.name}</b> — {task.state}, {task.done}/{task.total} frames, "
            f"ETA {format_duration(task.eta_s())}"
        )
        self.carbon.set_facts(task.carbon)

    def _frame_stats(self, index: object) -> None:
        frame = index.data(FrameRole) if hasattr(index, "data") else None
        if frame is None:
            self.frame_stats.setText("")
            return
        time_s = f"{frame.render_time_s:.1f} s" if frame.render_time_s is not None else "—"
        energy = f"{frame.energy_wh:.3f} Wh" if frame.energy_wh is not None else "—"
        self.frame_stats.setText(
            f"Frame {frame.number}: {frame.state} on {frame.node or '—'}, {time_s}, {energy}"
        )

    def set_log(self, stdout: str, stderr: str) -> None:
        """Shows the output; follows new lines only when the reader is at the bottom already."""
        text = stdout + (f"\n--- stderr ---\n{stderr}" if stderr.strip() else "")
        old = self.log.toPlainText()
        if text == old:
            return
        bar = self.log.verticalScrollBar()
        position, at_bottom = bar.value(), bar.value() >= bar.maximum() - LOG_BOTTOM_SLACK
        if old and text.startswith(old):
            cursor = QTextCursor(self.log.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(text[len(old) :])  # only the new lines: no relayout of the whole log
        else:
            self.log.setPlainText(text)
        bar.setValue(bar.maximum() if at_bottom else position)

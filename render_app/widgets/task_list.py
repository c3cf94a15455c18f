"""The task table, with a progress bar drawn in the progress column."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from render_app.models.task_model import PROGRESS_COLUMN, ProgressRole, TaskModel, TaskRole

BAR_COLOUR = "#f59e0b"  # amber: stands out on the slate selection and on plain rows alike


class _ProgressDelegate(QStyledItemDelegate):
    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        # The row's own background first (the selection, when selected), then the bar on top of it.
        QApplication.style().drawPrimitive(
            QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
        )
        bar = QStyleOptionProgressBar()
        bar.palette = QPalette(option.palette)
        bar.palette.setColor(QPalette.ColorRole.Highlight, QColor(BAR_COLOUR))
        bar.rect = option.rect.adjusted(4, 6, -4, -6)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(index.data(ProgressRole) or 0)
        bar.text = f"{bar.progress} %"
        bar.textVisible = True
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class TaskList(QTableView):
    taskSelected = Signal(object)  # noqa: N815 (Qt signal naming) TaskInfo | None

    def __init__(self, model: TaskModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("taskList")
        self.setAccessibleName("Tasks")
        self.setModel(model)
        self.setItemDelegateForColumn(PROGRESS_COLUMN, _ProgressDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(PROGRESS_COLUMN, QHeaderView.ResizeMode.Fixed)
        self.setColumnWidth(PROGRESS_COLUMN, 150)
        self.selectionModel().currentRowChanged.connect(self._current)
        model.rowsInserted.connect(self._inserted)

    def _inserted(self, _parent: QModelIndex, first: int, _last: int) -> None:
        # The newest task is selected only when none is: a new task (or a scout) never steals it.
        if self.selectionModel().hasSelection():
            return
        task = self.model().index(first, 0).data(TaskRole)
        if task is not None and not task.scout:
            self.selectRow(first)

    def _current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.taskSelected.emit(current.data(TaskRole) if current.isValid() else None)

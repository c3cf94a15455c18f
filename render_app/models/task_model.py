"""Tasks as a table model: one row per task; only the rows an event touched emit dataChanged."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from render_app.state import TaskInfo, format_duration

TaskRole = Qt.ItemDataRole.UserRole + 1
ProgressRole = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("Task", "State", "Progress", "Frames", "ETA")
PROGRESS_COLUMN = 2
Index = QModelIndex | QPersistentModelIndex


class TaskModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[TaskInfo] = []
        self._rows: dict[str, int] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self.tasks)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        task = self.tasks[index.row()]
        if role == TaskRole:
            return task
        if role == ProgressRole:
            return int(task.progress * 100)
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                task.name + (" (estimate)" if task.scout else ""),
                task.state,
                f"{int(task.progress * 100)} %",
                f"{task.done}/{task.total}",
                format_duration(task.eta_s()),
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return task.uuid
        return None

    def task(self, uuid: str) -> TaskInfo | None:
        row = self._rows.get(uuid)
        return self.tasks[row] if row is not None else None

    def add(self, task: TaskInfo) -> None:
        if task.uuid in self._rows:
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.tasks.insert(0, task)
        self._rows = {t.uuid: i for i, t in enumerate(self.tasks)}
        self.endInsertRows()

    def touch(self, uuid: str) -> None:
        row = self._rows.get(uuid)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

"""The frames of one task for the grid: state, stats and the latest thumbnail of each frame."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QImage, QPixmap

from render_app.state import FrameInfo, TaskInfo

FrameRole = Qt.ItemDataRole.UserRole + 1
PixmapRole = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


class FrameModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.task: TaskInfo | None = None
        self.frames: list[FrameInfo] = []
        self._pixmaps: dict[int, QPixmap] = {}
        self.final_thumbnails: set[int] = set()

    def set_task(self, task: TaskInfo | None) -> None:
        self.beginResetModel()
        self.task = task
        self.frames = [task.frame_info[n] for n in sorted(task.frame_info)] if task else []
        self._pixmaps = {}
        self.final_thumbnails = set()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self.frames)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        frame = self.frames[index.row()]
        if role == FrameRole:
            return frame
        if role == PixmapRole:
            return self._pixmaps.get(frame.number)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{frame.number}"
        if role == Qt.ItemDataRole.ToolTipRole:
            stats = [f"frame {frame.number}: {frame.state}"]
            if frame.node:
                stats.append(f"node {frame.node}")
            if frame.render_time_s is not None:
                stats.append(f"{frame.render_time_s:.1f} s")
            if frame.energy_wh is not None:
                stats.append(f"{frame.energy_wh:.3f} Wh")
            return ", ".join(stats)
        return None

    def _row(self, number: int) -> int | None:
        for row, frame in enumerate(self.frames):
            if frame.number == number:
                return row
        return None

    def changed(self, numbers: set[int]) -> None:
        for number in numbers:
            row = self._row(number)
            if row is not None:
                self.dataChanged.emit(self.index(row), self.index(row))

    def set_image(self, number: int, image: QImage, final: bool) -> None:
        """Images are decoded in a worker; the QPixmap is made here, on the GUI thread."""
        if number in self.final_thumbnails and not final:
            return  # a late progressive preview must not replace the finished frame
        self._pixmaps[number] = QPixmap.fromImage(image)
        if final:
            self.final_thumbnails.add(number)
        self.changed({number})

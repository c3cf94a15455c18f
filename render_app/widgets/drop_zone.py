"""A frame that accepts dropped scene folders and .blend files and emits their paths."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


def scene_paths(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
    return [p for p in paths if p.is_dir() or p.suffix.lower() == ".blend"]


class DropZone(QFrame):
    pathsDropped = Signal(list)  # noqa: N815 (Qt signal naming)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAccessibleName("Drop scenes here")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(70)
        label = QLabel("Drop a scene folder or .blend file here\nor use File > Open scene…")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setObjectName("dropZoneHint")
        label.setAccessibleName("Drop hint")
        layout = QVBoxLayout(self)
        layout.addWidget(label)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if scene_paths(event):
            event.acceptProposedAction()
            self.setProperty("hover", True)
            self.style().polish(self)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: object) -> None:  # noqa: N802
        self.setProperty("hover", False)
        self.style().polish(self)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = scene_paths(event)
        self.setProperty("hover", False)
        self.style().polish(self)
        if paths:
            event.acceptProposedAction()
            self.pathsDropped.emit(paths)

"""The frame grid: one tile per frame with its thumbnail or progressive preview, state and progress."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from render_app.models.frame_model import FrameModel, FrameRole, PixmapRole

TILE = QSize(136, 96)
STATE_COLOURS = {"Queued": "#3a3f47", "Rendering": "#d08a2c", "Done": "#3f9c5a", "Failed": "#c0392b"}


class _TileDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: object) -> QSize:  # noqa: N802 (Qt API)
        return TILE

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        frame = index.data(FrameRole)
        pixmap = index.data(PixmapRole)
        rect: QRect = option.rect.adjusted(3, 3, -3, -3)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#1e2126"))
        painter.drawRoundedRect(rect, 6, 6)
        image_rect = rect.adjusted(4, 4, -4, -22)
        if pixmap is not None:
            scaled = pixmap.scaled(
                image_rect.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            x = image_rect.x() + (image_rect.width() - scaled.width()) // 2
            y = image_rect.y() + (image_rect.height() - scaled.height()) // 2
            painter.drawPixmap(x, y, scaled)
        else:
            painter.setPen(QColor("#6b7280"))
            painter.drawText(image_rect, Qt.AlignmentFlag.AlignCenter, "waiting")
        colour = QColor(STATE_COLOURS.get(frame.state, "#3a3f47"))
        bar = QRect(rect.x() + 4, rect.bottom() - 18, rect.width() - 8, 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#2c3038"))
        painter.drawRect(bar)
        painter.setBrush(colour)
        painter.drawRect(QRect(bar.x(), bar.y(), int(bar.width() * frame.percent / 100), bar.height()))
        painter.setPen(QColor("#e5e7eb"))
        label = QRect(rect.x() + 4, rect.bottom() - 14, rect.width() - 8, 14)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(label, left, f"#{frame.number}")
        painter.setPen(colour.lighter(140))
        painter.drawText(label, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, frame.state)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QColor("#60a5fa"))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect, 6, 6)
        painter.restore()


class FrameGrid(QListView):
    def __init__(self, model: FrameModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("frameGrid")
        self.setAccessibleName("Frame grid")
        self.setModel(model)
        self.setItemDelegate(_TileDelegate(self))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(2)

    def thumbnails(self) -> int:
        model = self.model()
        assert isinstance(model, FrameModel)
        return len(model.final_thumbnails)

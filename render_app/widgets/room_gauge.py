"""A small arc gauge: room temperature against the set-point of the room a node heats."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

MIN_C, MAX_C = 10.0, 30.0
START_DEG, SPAN_DEG = 225, -270  # Qt angles: counter-clockwise from 3 o'clock


def _angle(temp_c: float) -> float:
    fraction = (min(MAX_C, max(MIN_C, temp_c)) - MIN_C) / (MAX_C - MIN_C)
    return START_DEG + SPAN_DEG * fraction


class RoomGauge(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("roomGauge")
        self.setAccessibleName("Room temperature gauge")
        self.room_c: float | None = None
        self.setpoint_c: float | None = None
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(96, 84)

    def set_values(self, room_c: float | None, setpoint_c: float | None) -> None:
        if (room_c, setpoint_c) != (self.room_c, self.setpoint_c):
            self.room_c, self.setpoint_c = room_c, setpoint_c
            self.setAccessibleDescription(f"room {room_c} °C, set-point {setpoint_c} °C")
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(10, 8, 76, 76)
        painter.setPen(QPen(QColor("#374151"), 8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawArc(rect, START_DEG * 16, SPAN_DEG * 16)
        if self.room_c is not None:
            warm = self.setpoint_c is not None and self.room_c >= self.setpoint_c
            colour = QColor("#e07b39" if warm else "#3b82f6")
            painter.setPen(QPen(colour, 8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawArc(rect, START_DEG * 16, int((_angle(self.room_c) - START_DEG) * 16))
        if self.setpoint_c is not None:
            painter.save()
            painter.translate(rect.center())
            painter.rotate(-_angle(self.setpoint_c))
            painter.setPen(QPen(QColor("#f9fafb"), 2))
            painter.drawLine(30, 0, 44, 0)
            painter.restore()
        painter.setPen(QColor("#f3f4f6"))
        text = f"{self.room_c:.1f}°" if self.room_c is not None else "—"
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        if self.setpoint_c is not None:
            painter.setPen(QColor("#9ca3af"))
            label = f"set {self.setpoint_c:.0f}°"
            painter.drawText(QRectF(0, 62, 96, 20), Qt.AlignmentFlag.AlignCenter, label)
        painter.end()

"""A small QPainter bar chart: this task's CO2 against the same work in a datacentre."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from render_app.units import quantity

BARS = (("Hearth", "#3f9c5a"), ("Datacentre", "#9ca3af"))


class CarbonChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("carbonChart")
        self.setAccessibleName("Carbon chart")
        self.values = (0.0, 0.0)
        self.setMinimumHeight(70)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(260, 80)

    def set_values(self, hearth_g: float, datacentre_g: float) -> None:
        if (hearth_g, datacentre_g) != self.values:
            self.values = (hearth_g, datacentre_g)
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = max(*self.values, 1e-9)
        label_w, row_h = 80.0, (self.height() - 8) / len(BARS)
        for row, ((label, colour), value) in enumerate(zip(BARS, self.values, strict=True)):
            y = 4 + row * row_h
            painter.setPen(QColor("#d1d5db"))
            painter.drawText(QRectF(0, y, label_w, row_h), Qt.AlignmentFlag.AlignVCenter, label)
            width = (self.width() - label_w - 70) * value / top
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(QRectF(label_w, y + row_h * 0.2, max(width, 2), row_h * 0.6), 3, 3)
            painter.setPen(QColor("#e5e7eb"))
            painter.drawText(
                QRectF(label_w + width + 6, y, 70, row_h), Qt.AlignmentFlag.AlignVCenter, quantity(value, "g")
            )
        painter.end()

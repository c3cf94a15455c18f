"""Every heater node as a card; cards are refreshed only for the rows the node model changed."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from render_app.models.node_model import NodeModel
from render_app.widgets.node_card import NodeCard

CARD_WIDTH_PX = 300  # cards keep their size; the number of columns follows the window's width
CARD_SPACING_PX = 12


class FleetView(QWidget):
    def __init__(self, model: NodeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fleetView")
        self.setAccessibleName("Fleet")
        self.model = model
        self.cards: list[NodeCard] = []
        self.summary = QLabel("No nodes yet.")
        self.summary.setObjectName("fleetSummary")
        self.summary.setAccessibleName("Fleet summary")
        inner = QWidget()
        self.grid = QGridLayout(inner)
        self.grid.setSpacing(CARD_SPACING_PX)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.columns = 1
        scroll = QScrollArea()
        scroll.setObjectName("fleetScroll")
        scroll.setAccessibleName("Nodes")
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.scroll_area = scroll
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        model.rowsInserted.connect(self._inserted)
        model.dataChanged.connect(self._changed)

    def _inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        for row in range(first, last + 1):
            card = NodeCard(self.model.nodes[row].name)
            card.setFixedWidth(CARD_WIDTH_PX)
            self.cards.insert(row, card)
            card.show_node(self.model.nodes[row])
        self._lay_out()
        self._summary()

    def _lay_out(self) -> None:
        for index, card in enumerate(self.cards):
            self.grid.addWidget(card, index // self.columns, index % self.columns)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        # The view's own width: the scroll area's viewport is not laid out yet on the first resize.
        width = event.size().width() - 4 * CARD_SPACING_PX  # layout margins and the scroll area's frame
        columns = max(1, width // (CARD_WIDTH_PX + CARD_SPACING_PX))
        if columns != self.columns:
            self.columns = columns
            self._lay_out()

    def _changed(self, top: QModelIndex, bottom: QModelIndex) -> None:
        for row in range(top.row(), bottom.row() + 1):
            if row < len(self.cards):
                self.cards[row].show_node(self.model.nodes[row])
        self._summary()

    def _summary(self) -> None:
        nodes = self.model.nodes
        busy = sum(1 for n in nodes if n.frame is not None)
        power = sum(n.power_w for n in nodes)
        self.summary.setText(f"{len(nodes)} heater node(s), {busy} rendering, {power:.0f} W in all")

"""Every heater node as a card; cards are refreshed only for the rows the node model changed."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from render_app.models.node_model import NodeModel
from render_app.widgets.node_card import NodeCard

COLUMNS = 3


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
        self.grid.setRowStretch(99, 1)
        scroll = QScrollArea()
        scroll.setObjectName("fleetScroll")
        scroll.setAccessibleName("Nodes")
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        model.rowsInserted.connect(self._inserted)
        model.dataChanged.connect(self._changed)

    def _inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        for row in range(first, last + 1):
            card = NodeCard(self.model.nodes[row].name)
            self.cards.insert(row, card)
            self.grid.addWidget(card, row // COLUMNS, row % COLUMNS)
            card.show_node(self.model.nodes[row])
        self._summary()

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

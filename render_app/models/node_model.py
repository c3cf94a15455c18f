"""The fleet as a list model: one row per heater node, updated from node-telemetry events."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from render_app.state import NodeInfo

NodeRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class NodeModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[NodeInfo] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self.nodes)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self.nodes[index.row()]
        if role == NodeRole:
            return node
        if role == Qt.ItemDataRole.DisplayRole:
            return node.name
        return None

    def _row(self, name: str) -> int:
        for row, node in enumerate(self.nodes):
            if node.name == name:
                return row
        self.beginInsertRows(QModelIndex(), len(self.nodes), len(self.nodes))
        self.nodes.append(NodeInfo(name))
        self.endInsertRows()
        return len(self.nodes) - 1

    def telemetry(self, name: str, data: dict[str, Any]) -> None:
        row = self._row(name)
        if self.nodes[row].apply(data):
            self.dataChanged.emit(self.index(row), self.index(row))

    def replace(self, name: str, info: NodeInfo) -> None:
        row = self._row(name)
        self.nodes[row] = info
        self.dataChanged.emit(self.index(row), self.index(row))

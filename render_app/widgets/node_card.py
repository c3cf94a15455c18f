"""One heater node in the fleet view: name, state, current frame, power and its room gauge."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QWidget

from render_app.state import NodeInfo
from render_app.widgets.room_gauge import RoomGauge


class NodeCard(QFrame):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"nodeCard_{name}")
        self.setAccessibleName(f"Node {name}")
        self.setProperty("card", True)
        self.name = QLabel(f"<b>{name}</b>")
        self.name.setObjectName("nodeName")
        self.name.setAccessibleName("Node name")
        self.state = QLabel()
        self.state.setObjectName("nodeState")
        self.state.setAccessibleName("Node state")
        self.frame = QLabel()
        self.frame.setObjectName("nodeFrame")
        self.frame.setAccessibleName("Current frame")
        self.power = QLabel()
        self.power.setObjectName("nodePower")
        self.power.setAccessibleName("Power")
        self.gauge = RoomGauge()
        layout = QGridLayout(self)
        layout.addWidget(self.name, 0, 0)
        layout.addWidget(self.state, 1, 0)
        layout.addWidget(self.frame, 2, 0)
        layout.addWidget(self.power, 3, 0)
        layout.addWidget(self.gauge, 0, 1, 4, 1)

    def show_node(self, node: NodeInfo) -> None:
        heat = " · room wants heat" if node.wants_heat else ""
        self.state.setText(f"{node.state or '—'}{'' if node.online else ' (offline)'}{heat}")
        busy = node.frame is not None
        self.frame.setText(f"Frame {node.frame} ({node.progress:.0f} %)" if busy else "Idle")
        self.power.setText(f"{node.power_w:.0f} W")
        self.gauge.set_values(node.room_c, node.setpoint_c)

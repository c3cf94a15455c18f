"""Carbon facts of a task: energy, heat reused, CO2 against a datacentre, % saved, room-hours heated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from render_app.units import hours, percent, quantity
from render_app.widgets.carbon_chart import CarbonChart

# (label, farm field, how to show the number)
FIELDS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("Energy (IT)", "total_energy_it_Wh", lambda v: quantity(v, "Wh")),
    ("Heat reused", "heat_reused_Wh", lambda v: quantity(v, "Wh")),
    ("CO₂ here", "qarnot_carbon_footprint", lambda v: quantity(v, "g")),
    ("CO₂ in a datacentre", "equivalent_DC_carbon_footprint", lambda v: quantity(v, "g")),
    ("Saved", "saved_carbon_footprint_percent", percent),
    ("Room-hours heated", "room_hours_heated", hours),
)


class CarbonPanel(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Carbon facts", parent)
        self.setObjectName("carbonPanel")
        self.setAccessibleName("Carbon facts")
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout()
        for title, key, _show in FIELDS:
            label = QLabel("—")
            label.setObjectName("carbon_" + key)
            label.setAccessibleName(title)
            self.labels[key] = label
            form.addRow(title, label)
        self.method = QLabel("")
        self.method.setObjectName("carbonMethod")
        self.method.setAccessibleName("Measurement method")
        self.method.setWordWrap(True)
        self.chart = CarbonChart()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.chart)
        layout.addWidget(self.method)

    def value(self, key: str) -> float:
        return self._number(self.facts.get(key)) if hasattr(self, "facts") else 0.0

    @staticmethod
    def _number(value: Any) -> float:
        return float(value) if isinstance(value, int | float) else 0.0

    def set_facts(self, facts: dict[str, Any]) -> None:
        self.facts = dict(facts)
        for _title, key, show in FIELDS:
            raw = facts.get(key)
            self.labels[key].setText(show(float(raw)) if isinstance(raw, int | float) else "—")
        self.chart.set_values(
            self.value("qarnot_carbon_footprint"), self.value("equivalent_DC_carbon_footprint")
        )
        method = facts.get("measurement_method")
        uncertainty = facts.get("measurement_uncertainty")
        spread = f" (±{uncertainty * 100:.0f} %)" if isinstance(uncertainty, int | float) else ""
        self.method.setText(f"Energy measured by {method}{spread}" if method else "")

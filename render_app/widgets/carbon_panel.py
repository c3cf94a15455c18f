"""Carbon facts of a task: energy, heat reused, CO2 against a datacentre, % saved, room-hours heated."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from render_app.widgets.carbon_chart import CarbonChart

# (label, farm field, unit, format)
FIELDS = (
    ("Energy (IT)", "total_energy_it_Wh", "Wh", "{:.3f}"),
    ("Heat reused", "heat_reused_Wh", "Wh", "{:.3f}"),
    ("CO₂ here", "qarnot_carbon_footprint", "g", "{:.3g}"),
    ("CO₂ in a datacentre", "equivalent_DC_carbon_footprint", "g", "{:.3g}"),
    ("Saved", "saved_carbon_footprint_percent", "%", "{:.0f}"),
    ("Room-hours heated", "room_hours_heated", "h", "{:.3g}"),
)


class CarbonPanel(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Carbon facts", parent)
        self.setObjectName("carbonPanel")
        self.setAccessibleName("Carbon facts")
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout()
        for title, key, _unit, _fmt in FIELDS:
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
        for _title, key, unit, fmt in FIELDS:
            raw = facts.get(key)
            self.labels[key].setText(f"{fmt.format(raw)} {unit}" if isinstance(raw, int | float) else "—")
        self.chart.set_values(
            self.value("qarnot_carbon_footprint"), self.value("equivalent_DC_carbon_footprint")
        )
        method = facts.get("measurement_method")
        uncertainty = facts.get("measurement_uncertainty")
        spread = f" (±{uncertainty * 100:.0f} %)" if isinstance(uncertainty, int | float) else ""
        self.method.setText(f"Energy measured by {method}{spread}" if method else "")

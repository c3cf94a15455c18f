"""Screen polish that can regress quietly: readable carbon numbers, fixed-width fleet cards, form widths."""

from __future__ import annotations

from typing import Any

from render_app.state import NodeInfo
from render_app.units import hours, percent, quantity
from render_app.widgets.main_window import MainWindow


def test_carbon_numbers_read_like_a_person_wrote_them() -> None:
    assert quantity(0.000352, "g") == "0.35 mg"
    assert quantity(0.0123, "Wh") == "12.3 mWh"
    assert quantity(2.5, "g") == "2.50 g"
    assert quantity(2200.0, "Wh") == "2.20 kWh"
    assert quantity(0.0, "g") == "0 g"
    assert quantity(1e-12, "g") == "< 0.01 mg"
    assert hours(2.2e-05) == "< 0.01 h"
    assert hours(1.5) == "1.50 h"
    assert percent(87.4) == "87 %"
    for text in (quantity(2.2e-05, "g"), hours(3.3e-7)):
        assert "e-" not in text


def test_carbon_panel_shows_the_friendly_form(window: MainWindow) -> None:
    panel = window.task_detail.carbon
    panel.set_facts({"qarnot_carbon_footprint": 0.000352, "room_hours_heated": 2.2e-05})
    assert panel.labels["qarnot_carbon_footprint"].text() == "0.35 mg"
    assert panel.labels["room_hours_heated"].text() == "< 0.01 h"


def test_fleet_cards_keep_their_width(qtbot: Any, window: MainWindow) -> None:
    window.pages.setCurrentIndex(1)
    window.tabs.setCurrentIndex(1)
    for index in range(2):
        window.controller.nodes.replace(f"node-{index}", NodeInfo(f"node-{index}", "idle", 10.0, 19.0, 20.0))
    fleet = window.fleet_view
    qtbot.waitUntil(lambda: all(card.isVisible() for card in fleet.cards), timeout=5000)
    widths = {card.width() for card in fleet.cards}
    assert len(widths) == 1 and widths.pop() < fleet.width() / 2  # not stretched across the view
    assert fleet.cards[0].y() == fleet.cards[1].y()  # side by side on a wide window


def test_connect_fields_are_wide_enough(window: MainWindow) -> None:
    page = window.connect_page
    assert page.url_edit.width() >= 250 and page.token_edit.width() >= 250

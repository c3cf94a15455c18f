"""First start with the demo scene: frames appear within a minute, with no further click."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from render_app.widgets.main_window import MainWindow

FIRST_RENDER_TIMEOUT_MS = 60_000


def test_demo_shows_a_first_thumbnail_without_clicks(qtbot: Any, window: MainWindow) -> None:
    qtbot.mouseClick(window.connect_page.demo_button, Qt.MouseButton.LeftButton)
    grid = window.task_detail.grid
    qtbot.waitUntil(lambda: grid.thumbnails() >= 1, timeout=FIRST_RENDER_TIMEOUT_MS)
    task = window.task_detail.task
    assert task is not None and not task.scout and task.name == "Demo"
    assert window.controller.scenes.scenes[str(task.scene)].sync_state == "Synced"

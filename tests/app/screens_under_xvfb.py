"""Screenshots of the real window on a real X server (run by test_app_screenshots.py under Xvfb)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from render_app.widgets.main_window import MainWindow
from tests.app.conftest import connect_local, drop_paths
from tests.scenes import make_textured_scene

ARTIFACTS = Path(os.environ.get("HEARTH_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))


@pytest.mark.skipif(os.environ.get("QT_QPA_PLATFORM") != "xcb", reason="needs an X server (Xvfb)")
def test_screenshots(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    scene_dir = tmp_path / "attic-shot"
    make_textured_scene(scene_dir, frame_start=1, frame_end=6, width=160, height=90, samples=8)
    window.resize(1360, 860)
    window.connect_page.grab().save(str(ARTIFACTS / "app_connect_page.png"))
    connect_local(qtbot, window)
    drop_paths(qtbot, window.drop_zone, [scene_dir])
    panel = window.scene_panel
    qtbot.waitUntil(panel.submit_button.isEnabled, timeout=30_000)
    qtbot.mouseClick(panel.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.sync_label.text().startswith("Synced"), timeout=30_000)

    qtbot.mouseClick(panel.submit_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    assert dialog is not None
    dialog.frames.setText("1-6")
    dialog.samples.setValue(8)
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(ARTIFACTS / "app_submit_dialog.png"))
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)

    tasks = window.controller.tasks
    qtbot.waitUntil(lambda: tasks.rowCount() == 1, timeout=30_000)
    task = tasks.tasks[0]
    qtbot.waitUntil(lambda: task.is_final, timeout=120_000)
    grid = window.task_detail.grid
    qtbot.waitUntil(lambda: grid.thumbnails() == 6, timeout=30_000)
    qtbot.waitUntil(lambda: window.task_detail.carbon.value("total_energy_it_Wh") > 0, timeout=30_000)
    qtbot.waitUntil(lambda: window.task_detail.log.toPlainText() != "", timeout=30_000)
    grid.setCurrentIndex(grid.model().index(0, 0))
    window.grab().save(str(ARTIFACTS / "app_main_window.png"))
    window.task_detail.grab().save(str(ARTIFACTS / "app_task_detail.png"))
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: len(window.fleet_view.cards) >= 2, timeout=30_000)
    window.grab().save(str(ARTIFACTS / "app_fleet_view.png"))
    for name in ("main_window", "submit_dialog", "task_detail", "fleet_view"):
        assert (ARTIFACTS / f"app_{name}.png").stat().st_size > 5000

"""A scene marked "watch" resyncs by itself, once, after its files change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from render_app.widgets.main_window import MainWindow
from tests.app.conftest import drop_paths
from tests.scenes import make_textured_scene


def test_watched_scene_resyncs_after_a_change(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    scene_dir = tmp_path / "watched"
    make_textured_scene(scene_dir, frame_start=1, frame_end=1)
    window.controller.start_local_farm(nodes=0)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1, timeout=60_000)
    drop_paths(qtbot, window.drop_zone, [scene_dir])
    panel = window.scene_panel
    qtbot.waitUntil(panel.sync_button.isEnabled, timeout=30_000)
    panel.watch_box.setChecked(True)
    scene = next(iter(window.controller.scenes.scenes.values()))
    assert scene.watch

    states: list[str] = []
    window.controller.scenes.changed.connect(lambda _key: states.append(scene.sync_state))
    for index in range(3):  # a burst of writes: one debounced resync
        (scene_dir / "textures" / f"extra_{index}.txt").write_text("new")
    qtbot.waitUntil(lambda: scene.sync_state == "Synced", timeout=30_000)
    assert "textures/extra_2.txt" in panel.report.toPlainText()
    assert states.count("Syncing") >= 1
    panel.watch_box.setChecked(False)

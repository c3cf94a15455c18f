"""Scenes dropped anywhere on the window open, not only on the drop zone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from render_app.widgets.main_window import MainWindow
from tests.app.conftest import drop_paths


def test_drop_on_the_task_area_opens_the_scene(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    scene = tmp_path / "shot-020"
    scene.mkdir()
    (scene / "shot.blend").write_bytes(b"BLENDER-v300")
    window.pages.setCurrentIndex(1)  # the workspace, as after connecting
    target = window.task_list.viewport()
    with qtbot.waitSignal(window.controller.scenes.added, timeout=5000) as added:
        drop_paths(qtbot, target, [scene], signal=window.pathsDropped)
    assert added.args == [str(scene.absolute())]


def test_drop_of_other_files_is_refused(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("not a scene")
    window.pages.setCurrentIndex(1)
    assert not drop_paths(qtbot, window.task_detail, [other], signal=window.pathsDropped, expect=False)
    assert window.controller.scenes.scenes == {}

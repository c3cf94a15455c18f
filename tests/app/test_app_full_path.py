"""The whole path on the real window against a real local farm: drop, report, sync, submit, follow."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt

from render_app.models.task_model import COLUMNS, ProgressRole
from render_app.widgets.main_window import MainWindow
from tests.app.conftest import connect_local, drop_paths
from tests.scenes import make_textured_scene

RENDER_TIMEOUT_MS = 120_000


def test_drop_sync_submit_follow_download(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scene_dir = tmp_path / "shot-010"
    make_textured_scene(scene_dir, frame_start=1, frame_end=4, width=64, height=36, samples=4)
    connect_local(qtbot, window)
    assert "Local farm" in window.connection_label.text()

    drop_paths(qtbot, window.drop_zone, [scene_dir])
    panel = window.scene_panel
    qtbot.waitUntil(lambda: "textures/checker.png" in panel.report.toPlainText(), timeout=30_000)
    assert "file(s)" in panel.report.toPlainText()

    qtbot.mouseClick(panel.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.sync_label.text().startswith("Synced"), timeout=30_000)
    assert panel.progress.value() == 1000

    qtbot.mouseClick(panel.submit_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    assert dialog is not None
    dialog.frames.setText("1-x")
    assert not dialog.submit_button.isEnabled()  # validated as you type
    dialog.frames.setText("1-4")
    dialog.samples.setValue(4)
    assert dialog.frames_hint.text() == "4 frame(s)"
    qtbot.mouseClick(dialog.estimate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.estimate_label.text().startswith("Estimate"), timeout=60_000)
    assert "Wh" in dialog.estimate_label.text() and "CO₂" in dialog.estimate_label.text()
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)

    # Follow the progress the way the task list shows it: what the model says on each dataChanged.
    tasks = window.controller.tasks
    seen: list[tuple[int, str]] = []
    frames_column = COLUMNS.index("Frames")

    def record(top: QModelIndex, _bottom: QModelIndex, *_roles: object) -> None:
        row = top.row()
        if not tasks.tasks[row].scout:
            progress = int(tasks.index(row, 0).data(ProgressRole))
            seen.append((progress, str(tasks.index(row, frames_column).data())))

    tasks.dataChanged.connect(record)
    qtbot.waitUntil(lambda: any(not t.scout for t in tasks.tasks), timeout=30_000)
    task = next(t for t in tasks.tasks if not t.scout)
    qtbot.waitUntil(lambda: task.is_final, timeout=RENDER_TIMEOUT_MS)
    assert task.state == "Success", task.state
    assert task.done == 4
    intermediate = [(p, f) for p, f in seen if 0 < p < 100 or f in ("1/4", "2/4", "3/4")]
    assert intermediate, f"no intermediate progress among {seen}"
    assert seen[-1] == (100, "4/4"), seen
    assert seen.index(intermediate[0]) < len(seen) - 1
    assert all(f.node and f.render_time_s for f in task.frame_info.values())

    grid = window.task_detail.grid
    qtbot.waitUntil(lambda: grid.thumbnails() == 4, timeout=30_000)
    carbon = window.task_detail.carbon
    qtbot.waitUntil(lambda: carbon.value("total_energy_it_Wh") > 0, timeout=30_000)
    assert carbon.value("equivalent_DC_carbon_footprint") > 0
    assert carbon.labels["total_energy_it_Wh"].text() != "—"

    results = window.controller.results_folder(task)
    images = lambda: [p for p in results.rglob("*") if p.suffix.lower() in (".png", ".exr", ".jpg")]  # noqa: E731
    qtbot.waitUntil(lambda: len(images()) >= 4, timeout=30_000)
    assert window.tray.messages and "succe" in window.tray.messages[-1].lower()

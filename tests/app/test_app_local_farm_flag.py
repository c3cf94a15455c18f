"""`hearth-app --local-farm` (what `make run` runs) opens the window connected to a local farm, and the
first time renders the demo scene by itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from render_app.__main__ import _parser, open_window
from render_app.widgets.main_window import MainWindow

REPO = Path(__file__).resolve().parents[2]
FIRST_RENDER_TIMEOUT_MS = 60_000


def test_the_first_local_farm_start_renders_the_demo(qtbot: Any, window: MainWindow) -> None:
    assert window.controller.local_farm_is_new()
    open_window(window, _parser().parse_args(["--local-farm"]))
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1, timeout=90_000)
    session = window.controller.session
    assert session is not None and session.local
    assert "Local farm" in window.connection_label.text()
    qtbot.waitUntil(lambda: window.task_detail.grid.thumbnails() >= 1, timeout=FIRST_RENDER_TIMEOUT_MS)
    task = window.task_detail.task
    assert task is not None and task.name == "Demo"


def test_later_local_farm_starts_only_connect(qtbot: Any, window: MainWindow) -> None:
    window.controller.local_farm_dir.mkdir(parents=True)  # an earlier start made it
    open_window(window, _parser().parse_args(["--local-farm"]))
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1, timeout=90_000)
    qtbot.waitUntil(lambda: len(window.controller.nodes.nodes) > 0, timeout=30_000)
    assert window.controller.scenes.scenes == {}
    assert window.task_detail.task is None


def test_make_run_uses_the_flag_and_system_deps() -> None:
    makefile = (REPO / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "system-deps" in run.splitlines()[0]
    assert "hearth-app --local-farm" in run

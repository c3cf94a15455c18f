"""`hearth-app --local-farm` (what `make run` runs) opens the window connected to a local farm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from render_app.__main__ import _parser, open_window
from render_app.widgets.main_window import MainWindow

REPO = Path(__file__).resolve().parents[2]


def test_local_farm_flag_opens_the_app_connected(qtbot: Any, window: MainWindow) -> None:
    args = _parser().parse_args(["--local-farm"])
    open_window(window, args)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1, timeout=90_000)
    session = window.controller.session
    assert session is not None and session.local
    assert "Local farm" in window.connection_label.text()
    qtbot.waitUntil(lambda: len(window.controller.nodes.nodes) > 0, timeout=30_000)


def test_make_run_uses_the_flag_and_system_deps() -> None:
    makefile = (REPO / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "system-deps" in run.splitlines()[0]
    assert "hearth-app --local-farm" in run

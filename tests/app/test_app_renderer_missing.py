"""Without bpy or Blender, the local farm says what to do instead of failing frames one by one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from render_app import renderer, self_test
from render_app.bundle_dispatch import BPY_PYTHON_ENV
from render_app.widgets.main_window import MainWindow


def test_bundle_without_blender_names_the_fixes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(renderer.shutil, "which", lambda _name: None)
    problem = renderer.renderer_problem(frozen=True, environ={})
    assert problem is not None and BPY_PYTHON_ENV in problem and "blender" in problem.lower()
    monkeypatch.setattr(renderer.shutil, "which", lambda _name: "/usr/bin/blender")
    assert renderer.renderer_problem(frozen=True, environ={}) is None


def test_bundle_with_a_bad_bpy_python(tmp_path: Path) -> None:
    problem = renderer.renderer_problem(frozen=True, environ={BPY_PYTHON_ENV: str(tmp_path / "nope")})
    assert problem is not None and str(tmp_path / "nope") in problem
    python = QApplication.applicationFilePath() or "/bin/sh"
    assert renderer.renderer_problem(frozen=True, environ={BPY_PYTHON_ENV: python}) is None


def test_source_without_bpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(renderer.importlib.util, "find_spec", lambda _name: None)
    problem = renderer.renderer_problem(frozen=False, environ={})
    assert problem is not None and "bpy" in problem


def test_window_shows_what_to_do(qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("render_app.controller.renderer_problem", lambda: renderer.NO_BLENDER)
    window.start_local()
    page = window.connect_page
    qtbot.waitUntil(page.problem.isVisible, timeout=5000)
    assert BPY_PYTHON_ENV in page.problem.text()
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1, timeout=90_000)
    assert window.warning_banner.isVisible() and BPY_PYTHON_ENV in window.warning_banner.text()


def test_self_test_fails_fast(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(self_test, "renderer_problem", lambda: renderer.NO_BLENDER)
    exits: list[int] = []
    # A stand-in for the QApplication: exiting the test run's real event loop would upset later tests.
    app = SimpleNamespace(exit=exits.append)
    test = self_test.SelfTest(app, window)  # type: ignore[arg-type]
    test.start()
    assert exits == [1] and test.code == 1 and not test.deadline.isActive()
    assert renderer.NO_BLENDER in capsys.readouterr().err
    assert window.controller.local_farm is None  # no farm was started
